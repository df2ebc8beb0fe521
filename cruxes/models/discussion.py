from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

BODY_MAX_LENGTH = 20_000
TITLE_MAX_LENGTH = 200


class Thread(models.Model):
    """A discussion. Its opening post is a Comment (`is_opening=True`), so claims, votes and
    edits work the same on the post as on any reply."""

    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="threads")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    # Denormalised for the "most active" listing; maintained by services in the same transaction.
    last_activity_at = models.DateTimeField(auto_now_add=True, db_index=True)
    comment_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="thread_title_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("cruxes:thread_detail", kwargs={"thread_id": self.pk})


class Comment(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments")
    is_opening = models.BooleanField(default=False, help_text="The thread's opening post.")
    body = models.TextField(max_length=BODY_MAX_LENGTH, help_text="Markdown source.")
    body_html = models.TextField(help_text="Sanitized HTML rendered from the markdown.")
    body_text = models.TextField(help_text="Plain text of body_html; claim offsets index into it.")
    depth = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Deleted by its author: the node stays so replies keep their place; the body is hidden.
    is_deleted = models.BooleanField(default=False)
    # Hidden by a moderator: same rendering as deleted, reversible in the admin.
    is_hidden = models.BooleanField(default=False, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["thread", "created_at"]),
            models.Index(fields=["author", "-created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["thread"], condition=Q(is_opening=True), name="one_opening_post_per_thread"),
            models.CheckConstraint(condition=~(Q(is_opening=True) & Q(parent__isnull=False)), name="opening_post_has_no_parent"),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} by {self.author_id} in thread {self.thread_id}"

    @property
    def is_visible(self) -> bool:
        return not (self.is_deleted or self.is_hidden)

    @property
    def anchor(self) -> str:
        return f"c-{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("cruxes:thread_detail", kwargs={"thread_id": self.thread_id}) + f"#c-{self.pk}"


class CommentRevision(models.Model):
    """A previous version of a comment, saved when its author edits it."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    body_text = models.TextField()
    created_at = models.DateTimeField(help_text="When this version was written.")
    replaced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-replaced_at", "-id"]

    def __str__(self) -> str:
        return f"Revision of comment {self.comment_id} replaced at {self.replaced_at:%Y-%m-%d %H:%M}"


class ApprovalVote(models.Model):
    """The karma axis (up/down). Agree/disagree lives on the comment's whole-text Claim."""

    UP = 1
    DOWN = -1
    VALUE_CHOICES = [(UP, "Up"), (DOWN, "Down")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approval_votes")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="approval_votes")
    value = models.SmallIntegerField(choices=VALUE_CHOICES)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "comment"], name="one_approval_vote_per_user_comment"),
            models.CheckConstraint(condition=Q(value__in=[1, -1]), name="approval_vote_value_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.value:+d} on comment {self.comment_id}"
