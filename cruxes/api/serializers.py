"""What the API shows and accepts. Output serializers read rows plus per-page lookups passed
in the context (tallies, counts), so a page never follows a relation per row. People appear
only as pseudonymous ids and display names; input serializers only check shapes, the write
layer (cruxes.services) checks the rules."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cruxes.exports.payloads import pseudonymize_payload
from cruxes.exports.pseudonyms import AUTHOR_SCOPE, display_name, for_scope, thread_scope
from cruxes.models import AnalysisResult, Stance
from cruxes.models.claims import CANDIDATE_MAX_LENGTH, REASON_MAX_LENGTH
from cruxes.models.discussion import BODY_MAX_LENGTH, TITLE_MAX_LENGTH

STANCE_NAMES = {Stance.AGREE: "agree", Stance.DISAGREE: "disagree", Stance.UNSURE: "unsure"}
STANCE_CHOICES = ["agree", "disagree", "unsure"]
# Inputs longer than the model allows still reach the service, which says how long they were;
# far longer ones are cut off here.
INPUT_SLACK = 10
MAX_ID = 2**63 - 1


def stance_name(value: int) -> str:
    return STANCE_NAMES[Stance(value)]


class AuthorMixin(serializers.Serializer):
    author = serializers.SerializerMethodField(help_text="The author's pseudonymous id (stable site-wide).")
    author_name = serializers.SerializerMethodField(help_text="The author's display name.")

    def get_author(self, obj) -> str:
        return for_scope(AUTHOR_SCOPE).of(obj.author_id)

    def get_author_name(self, obj) -> str:
        return display_name(obj.author.first_name, obj.author.last_name, self.get_author(obj))


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong.")


class ThreadSerializer(AuthorMixin, serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField()
    opening_comment = serializers.SerializerMethodField()
    comment_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="The thread's page.")

    def get_opening_comment(self, obj) -> int | None:
        return self.context.get("opening_comments", {}).get(obj.pk)

    def get_url(self, obj) -> str:
        return obj.get_absolute_url()


class ThreadCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH * INPUT_SLACK, allow_blank=True)
    body = serializers.CharField(max_length=BODY_MAX_LENGTH * 2, allow_blank=True, trim_whitespace=False,
                                 help_text="Markdown of the opening post.")


class CommentSerializer(AuthorMixin, serializers.Serializer):
    id = serializers.IntegerField()
    thread = serializers.IntegerField(source="thread_id")
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    is_opening = serializers.BooleanField()
    depth = serializers.IntegerField()
    body = serializers.SerializerMethodField(help_text="Markdown source; empty once deleted or hidden.")
    body_html = serializers.SerializerMethodField(help_text="Sanitized HTML; empty once deleted or hidden.")
    body_text = serializers.SerializerMethodField(help_text="Plain text that claim offsets index into.")
    is_deleted = serializers.BooleanField()
    is_hidden = serializers.BooleanField()
    whole_claim = serializers.SerializerMethodField(help_text="The claim for the whole comment (its agree/disagree).")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)

    def get_body(self, obj) -> str:
        return obj.body if obj.is_visible else ""

    def get_body_html(self, obj) -> str:
        return obj.body_html if obj.is_visible else ""

    def get_body_text(self, obj) -> str:
        return obj.body_text if obj.is_visible else ""

    def get_whole_claim(self, obj) -> int | None:
        return self.context.get("whole_claims", {}).get(obj.pk)


class CommentCreateSerializer(serializers.Serializer):
    thread = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    parent = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True,
                                      help_text="The comment replied to; omit for a top-level comment.")
    body = serializers.CharField(max_length=BODY_MAX_LENGTH * 2, allow_blank=True, trim_whitespace=False)


class CommentEditSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=BODY_MAX_LENGTH * 2, allow_blank=True, trim_whitespace=False)


class TalliesSerializer(serializers.Serializer):
    agree = serializers.IntegerField()
    disagree = serializers.IntegerField()
    unsure = serializers.IntegerField()
    reasons = serializers.IntegerField(help_text="Votes that give a reason.")


EMPTY_TALLIES = {"agree": 0, "disagree": 0, "unsure": 0, "reasons": 0}


class ClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    thread = serializers.IntegerField(source="thread_id")
    comment = serializers.IntegerField(source="comment_id")
    is_whole = serializers.BooleanField(help_text="The whole comment (its plain agree/disagree).")
    is_author_marked = serializers.BooleanField(help_text="Marked by the comment's author as a claim they make.")
    exact = serializers.SerializerMethodField(help_text="The quoted text (empty if the comment is gone).")
    prefix = serializers.SerializerMethodField(help_text="Text just before the span.")
    suffix = serializers.SerializerMethodField(help_text="Text just after the span.")
    start = serializers.IntegerField(help_text="Start offset in the comment's plain text (code points).")
    end = serializers.IntegerField(help_text="End offset, exclusive.")
    status = serializers.ChoiceField(choices=["anchored", "orphaned"])
    anchor_method = serializers.CharField()
    tallies = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def _visible(self, obj) -> bool:
        return self.context.get("visible_comments", {}).get(obj.comment_id, True)

    def get_exact(self, obj) -> str:
        return obj.exact if self._visible(obj) else ""

    def get_prefix(self, obj) -> str:
        return obj.prefix if self._visible(obj) else ""

    def get_suffix(self, obj) -> str:
        return obj.suffix if self._visible(obj) else ""

    @extend_schema_field(TalliesSerializer)
    def get_tallies(self, obj) -> dict:
        return self.context.get("tallies", {}).get(obj.pk, EMPTY_TALLIES)


class ClaimCreateSerializer(serializers.Serializer):
    comment = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    start = serializers.IntegerField(min_value=0, max_value=2**31)
    end = serializers.IntegerField(min_value=0, max_value=2**31)
    exact = serializers.CharField(max_length=20_000, allow_blank=True, trim_whitespace=False,
                                  help_text="The selected text, checked against the comment at [start, end).")
    author_marked = serializers.BooleanField(default=False,
                                             help_text="Mark it as a claim you make (your own comment only).")


class VoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    claim = serializers.IntegerField(source="claim_id")
    comment = serializers.IntegerField(source="claim.comment_id")
    thread = serializers.IntegerField(source="claim.thread_id")
    stance = serializers.SerializerMethodField()
    reason = serializers.CharField()
    reason_signed = serializers.BooleanField()
    picked_reasons = serializers.SerializerMethodField(help_text="Ids of the candidate reasons picked.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ChoiceField(choices=STANCE_CHOICES))
    def get_stance(self, obj) -> str:
        return stance_name(obj.stance)

    def get_picked_reasons(self, obj) -> list[int]:
        return self.context.get("picks", {}).get(obj.pk, [])


class VoteCastSerializer(serializers.Serializer):
    claim = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    stance = serializers.ChoiceField(choices=STANCE_CHOICES)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=REASON_MAX_LENGTH * INPUT_SLACK,
                                   help_text="One sentence. Omit to keep the current reason; empty to clear it.")
    reason_signed = serializers.BooleanField(required=False, help_text="Show your display name with the reason.")
    picked_reasons = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
                                           required=False, max_length=100,
                                           help_text="Candidate reasons of this claim.")


class VoteChangeSerializer(VoteCastSerializer):
    claim = None
    stance = serializers.ChoiceField(choices=STANCE_CHOICES, required=False)


class ReasonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    claim = serializers.IntegerField(source="claim_id")
    comment = serializers.IntegerField(source="claim.comment_id")
    thread = serializers.IntegerField(source="claim.thread_id")
    stance = serializers.SerializerMethodField()
    text = serializers.CharField(source="reason")
    signed = serializers.BooleanField(source="reason_signed")
    signer_name = serializers.SerializerMethodField(help_text="The voter's display name, only if they signed.")
    endorsements = serializers.SerializerMethodField()
    endorsed_by_me = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ChoiceField(choices=STANCE_CHOICES))
    def get_stance(self, obj) -> str:
        return stance_name(obj.stance)

    def get_signer_name(self, obj) -> str | None:
        if not obj.reason_signed:
            return None
        # The same public name the person has as an author, never tied to their votes.
        return display_name(obj.user.first_name, obj.user.last_name, for_scope(AUTHOR_SCOPE).of(obj.user_id))

    def get_endorsements(self, obj) -> int:
        return self.context.get("endorsements", {}).get(obj.pk, 0)

    def get_endorsed_by_me(self, obj) -> bool:
        return obj.pk in self.context.get("endorsed", set())


class EndorsementStateSerializer(serializers.Serializer):
    reason = serializers.IntegerField()
    endorsed = serializers.BooleanField()
    endorsements = serializers.IntegerField()


class EndorsementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.IntegerField(source="vote_id")
    claim = serializers.IntegerField(source="vote.claim_id")
    thread = serializers.IntegerField(source="vote.claim.thread_id")
    created_at = serializers.DateTimeField()


class EndorsementCreateSerializer(serializers.Serializer):
    reason = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The reason (vote) to endorse.")


class CandidateReasonSerializer(AuthorMixin, serializers.Serializer):
    id = serializers.IntegerField()
    claim = serializers.IntegerField(source="claim_id")
    thread = serializers.IntegerField(source="claim.thread_id")
    text = serializers.CharField()
    picks = serializers.SerializerMethodField(help_text="How many voters picked it.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_picks(self, obj) -> int:
        return self.context.get("picks", {}).get(obj.pk, 0)


class CandidateReasonCreateSerializer(serializers.Serializer):
    claim = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    text = serializers.CharField(max_length=CANDIDATE_MAX_LENGTH * INPUT_SLACK, allow_blank=True)


class CruxLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    claim = serializers.IntegerField(source="claim_id", help_text="The view that rests on ...")
    rests_on = serializers.IntegerField(source="rests_on_id", help_text="... this claim.")
    thread = serializers.IntegerField(source="claim.thread_id")
    is_mine = serializers.SerializerMethodField(help_text="Whether you made this link (who else did is not shown).")
    created_at = serializers.DateTimeField()

    def get_is_mine(self, obj) -> bool:
        user = self.context.get("request").user if self.context.get("request") else None
        return bool(user and user.is_authenticated and obj.created_by_id == user.pk)


class CruxLinkCreateSerializer(serializers.Serializer):
    claim = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    rests_on = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class AnalysisResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=AnalysisResult.Kind.values)
    thread = serializers.IntegerField(source="thread_id")
    subject_id = serializers.IntegerField(help_text="Comment id (hotspots), claim id (themes) or thread id.")
    version = serializers.IntegerField(help_text="Bumped each time the worker stores a new result.")
    fingerprint = serializers.CharField(help_text="Hash of the input the result was computed from.")
    computed_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    is_stale = serializers.SerializerMethodField(help_text="A recompute of this thread is pending.")
    payload = serializers.SerializerMethodField(help_text="The result; voters appear under the thread's pseudonyms.")

    def get_is_stale(self, obj) -> bool:
        return obj.thread_id in self.context.get("stale_threads", set())

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_payload(self, obj):
        return pseudonymize_payload(obj.payload, for_scope(thread_scope(obj.thread_id)))


class PolisImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A zip of summary.csv, comments.csv, votes.csv (participants-votes.csv "
                                           "optional), as Polis exports them.")
    title = serializers.CharField(required=False, max_length=TITLE_MAX_LENGTH, allow_blank=True,
                                  help_text="Title for the new thread (default: the conversation's topic).")


class PolisImportResultSerializer(serializers.Serializer):
    thread = serializers.IntegerField()
    comments = serializers.IntegerField()
    participants = serializers.IntegerField()
    votes = serializers.IntegerField(help_text="Votes stored (latest per participant and comment).")
    vote_events = serializers.IntegerField(help_text="Rows read from votes.csv, superseded ones included.")
