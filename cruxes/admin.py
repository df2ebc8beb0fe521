"""The moderator's admin: every model can be searched, filtered and inspected.

Content is written through the site, whose services keep rendered HTML, whole-comment claims,
counters and the analysis queue consistent; so the admin does not add, edit or delete content
rows directly. Its one write is moderation: hiding and unhiding comments, through the same
service the rest of the app would use (`comment_set_hidden`), logged in the admin history.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from cruxes.models import (
    AnalysisResult,
    AnalysisState,
    ApprovalVote,
    CandidateReason,
    Claim,
    Comment,
    CommentRevision,
    CruxLink,
    ReasonEndorsement,
    Thread,
    Vote,
)
from cruxes.services.discussion import comment_set_hidden

EXCERPT_CHARS = 80


def excerpt(text: str, length: int = EXCERPT_CHARS) -> str:
    return Truncator(" ".join((text or "").split())).chars(length)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows every field, changes none. Subclasses list which fields stay editable."""

    editable_fields: tuple[str, ...] = ()

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        model_fields = [field.name for field in self.model._meta.get_fields()
                        if field.concrete and field.name not in self.editable_fields]
        return [*model_fields, *self.readonly_fields]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Discussion -------------------------------------------------------------------------


@admin.register(Thread)
class ThreadAdmin(ReadOnlyAdmin):
    editable_fields = ("title",)
    list_display = ("title", "author", "comment_count", "created_at", "last_activity_at")
    list_select_related = ("author",)
    search_fields = ("title", "author__username")
    list_filter = ("created_at", "last_activity_at")
    date_hierarchy = "created_at"
    ordering = ("-last_activity_at",)


class CommentRevisionInline(ReadOnlyInline):
    model = CommentRevision
    fields = ("created_at", "replaced_at", "body")
    readonly_fields = fields


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ("id", "body_excerpt", "author", "thread_title", "depth", "created_at", "edited_at",
                    "is_hidden", "is_deleted")
    list_display_links = ("id", "body_excerpt")
    list_select_related = ("author", "thread")
    search_fields = ("body", "author__username", "thread__title")
    list_filter = ("is_hidden", "is_deleted", "is_opening", "created_at")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    readonly_fields = ("rendered",)
    fieldsets = (
        (None, {"fields": ("thread", "parent", "author", "is_opening", "depth")}),
        ("Moderation", {"fields": ("is_hidden", "is_deleted")}),
        ("Text", {"fields": ("body", "rendered", "body_text", "body_html")}),
        ("Dates", {"fields": ("created_at", "edited_at", "updated_at")}),
    )
    inlines = [CommentRevisionInline]
    actions = ["hide_comments", "unhide_comments"]

    @admin.display(description="Comment")
    def body_excerpt(self, comment: Comment) -> str:
        return excerpt(comment.body_text)

    @admin.display(description="Thread", ordering="thread__title")
    def thread_title(self, comment: Comment) -> str:
        return excerpt(comment.thread.title, 50)

    @admin.display(description="As readers see it")
    def rendered(self, comment: Comment) -> str:
        # body_html is sanitized by cruxes.markup when the comment is saved (the one field
        # allowed out unescaped).
        return format_html('<div class="rendered-comment">{}</div>', mark_safe(comment.body_html))

    def _set_hidden(self, request, queryset, *, hidden: bool) -> int:
        changed = 0
        for comment in queryset.filter(is_hidden=not hidden):
            try:
                comment_set_hidden(moderator=request.user, comment=comment, hidden=hidden)
            except PermissionDenied as error:
                self.message_user(request, str(error), messages.ERROR)
                return changed
            self.log_change(request, comment, "Hidden by a moderator" if hidden else "Unhidden by a moderator")
            changed += 1
        return changed

    @admin.action(description="Hide selected comments", permissions=["change"])
    def hide_comments(self, request, queryset):
        count = self._set_hidden(request, queryset, hidden=True)
        self.message_user(request, f"Hid {count} comment{'s' if count != 1 else ''}.", messages.SUCCESS)

    @admin.action(description="Unhide selected comments", permissions=["change"])
    def unhide_comments(self, request, queryset):
        count = self._set_hidden(request, queryset, hidden=False)
        self.message_user(request, f"Unhid {count} comment{'s' if count != 1 else ''}.", messages.SUCCESS)


@admin.register(CommentRevision)
class CommentRevisionAdmin(ReadOnlyAdmin):
    list_display = ("id", "comment", "body_excerpt", "created_at", "replaced_at")
    search_fields = ("body", "comment__author__username")
    list_filter = ("replaced_at",)
    date_hierarchy = "replaced_at"
    raw_id_fields = ("comment",)

    @admin.display(description="Earlier text")
    def body_excerpt(self, revision: CommentRevision) -> str:
        return excerpt(revision.body_text)


@admin.register(ApprovalVote)
class ApprovalVoteAdmin(ReadOnlyAdmin):
    list_display = ("id", "comment", "user", "value", "created_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "comment__body")
    list_filter = ("value", "created_at")
    date_hierarchy = "created_at"
    raw_id_fields = ("user", "comment")


# --- Claims and votes ---------------------------------------------------------------------


class CandidateReasonInline(ReadOnlyInline):
    model = CandidateReason
    fields = ("text", "author", "created_at")
    readonly_fields = fields


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ("id", "exact_excerpt", "comment", "thread", "is_whole", "is_author_marked", "status",
                    "anchor_method", "vote_count", "created_at")
    list_select_related = ("thread",)
    search_fields = ("exact", "thread__title", "comment__author__username")
    list_filter = ("status", "is_whole", "is_author_marked", "anchor_method", "created_at")
    date_hierarchy = "created_at"
    raw_id_fields = ("comment", "thread", "created_by")
    inlines = [CandidateReasonInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(vote_total=Count("votes", distinct=True))

    @admin.display(description="Span")
    def exact_excerpt(self, claim: Claim) -> str:
        return excerpt(claim.exact)

    @admin.display(description="Votes", ordering="vote_total")
    def vote_count(self, claim: Claim) -> int:
        return claim.vote_total


@admin.register(CandidateReason)
class CandidateReasonAdmin(ReadOnlyAdmin):
    list_display = ("id", "text", "claim", "author", "pick_count", "created_at")
    list_select_related = ("author",)
    search_fields = ("text", "author__username")
    list_filter = ("created_at",)
    raw_id_fields = ("claim", "author")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(pick_total=Count("picks", distinct=True))

    @admin.display(description="Picked by", ordering="pick_total")
    def pick_count(self, candidate: CandidateReason) -> int:
        return candidate.pick_total


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ("id", "claim", "user", "stance", "reason_excerpt", "reason_signed", "updated_at")
    list_select_related = ("user",)
    search_fields = ("reason", "user__username", "claim__exact")
    list_filter = ("stance", "reason_signed", "created_at")
    date_hierarchy = "created_at"
    raw_id_fields = ("user", "claim")

    @admin.display(description="Reason")
    def reason_excerpt(self, vote: Vote) -> str:
        return excerpt(vote.reason)


@admin.register(ReasonEndorsement)
class ReasonEndorsementAdmin(ReadOnlyAdmin):
    list_display = ("id", "vote", "user", "created_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "vote__reason")
    list_filter = ("created_at",)
    raw_id_fields = ("user", "vote")


@admin.register(CruxLink)
class CruxLinkAdmin(ReadOnlyAdmin):
    list_display = ("id", "claim", "rests_on", "created_by", "created_at")
    list_select_related = ("created_by",)
    search_fields = ("claim__exact", "rests_on__exact", "created_by__username")
    list_filter = ("created_at",)
    raw_id_fields = ("claim", "rests_on", "created_by")


# --- The worker's results ------------------------------------------------------------------


@admin.register(AnalysisResult)
class AnalysisResultAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "subject_id", "thread", "version", "fingerprint_short", "computed_at")
    list_select_related = ("thread",)
    search_fields = ("thread__title", "fingerprint")
    list_filter = ("kind", "computed_at")
    date_hierarchy = "computed_at"
    raw_id_fields = ("thread",)

    @admin.display(description="Fingerprint")
    def fingerprint_short(self, result: AnalysisResult) -> str:
        return result.fingerprint[:12]


@admin.register(AnalysisState)
class AnalysisStateAdmin(ReadOnlyAdmin):
    list_display = ("thread", "requested_at", "started_at", "completed_at", "pending", "has_error")
    list_select_related = ("thread",)
    search_fields = ("thread__title", "last_error")
    list_filter = ("requested_at", "completed_at")
    raw_id_fields = ("thread",)

    @admin.display(description="Pending", boolean=True)
    def pending(self, state: AnalysisState) -> bool:
        return state.is_pending

    @admin.display(description="Last run failed", boolean=True)
    def has_error(self, state: AnalysisState) -> bool:
        return bool(state.last_error)
