from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .discussion import Comment, Thread

REASON_MAX_LENGTH = 500
SPAN_MAX_LENGTH = 2_000
CANDIDATE_MAX_LENGTH = 300


class Stance(models.IntegerChoices):
    AGREE = 1, "Agree"
    UNSURE = 0, "Unsure"
    DISAGREE = -1, "Disagree"


class Claim(models.Model):
    """A span of a comment's plain text: a W3C-style text-quote selector (exact, prefix,
    suffix) plus a text-position selector (start, end) in code points. The whole comment is
    a claim too (`is_whole`), so one vote model serves comment votes and span votes."""

    class Status(models.TextChoices):
        ANCHORED = "anchored", "Anchored"
        ORPHANED = "orphaned", "On an earlier version"

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="claims")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="claims")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="claims_created"
    )
    is_whole = models.BooleanField(default=False)
    # Marked by the comment's author as a claim they make (shown even before anyone votes).
    is_author_marked = models.BooleanField(default=False)
    exact = models.TextField(max_length=SPAN_MAX_LENGTH)
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ANCHORED)
    anchor_method = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["comment_id", "start", "end", "id"]
        indexes = [models.Index(fields=["thread", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="claim_span_not_empty"),
            models.UniqueConstraint(
                fields=["comment", "start", "end"],
                condition=Q(status="anchored"),
                name="one_anchored_claim_per_span",
            ),
            models.UniqueConstraint(fields=["comment"], condition=Q(is_whole=True), name="one_whole_claim_per_comment"),
        ]

    def __str__(self) -> str:
        text = self.exact if len(self.exact) <= 60 else self.exact[:57] + "…"
        return f"“{text}” (comment {self.comment_id})"

    @property
    def is_orphaned(self) -> bool:
        return self.status == self.Status.ORPHANED


class CandidateReason(models.Model):
    """A reason proposed for a claim (usually by the comment's author): "Is it that you're
    less confident in X?". Voters pick one or more."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="candidate_reasons")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="candidate_reasons")
    text = models.CharField(max_length=CANDIDATE_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["claim_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "text"], name="candidate_reason_unique_text_per_claim"),
            models.CheckConstraint(condition=~Q(text=""), name="candidate_reason_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text


class Vote(models.Model):
    """One user's stance on one claim, with an optional one-sentence reason and picked
    candidate reasons. Never shown with the voter's name unless `reason_signed`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claim_votes")
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="votes")
    stance = models.SmallIntegerField(choices=Stance.choices)
    reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    reason_signed = models.BooleanField(default=False)
    picked_reasons = models.ManyToManyField(CandidateReason, blank=True, related_name="picks")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["claim_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "claim"], name="one_vote_per_user_claim"),
            models.CheckConstraint(condition=Q(stance__in=[-1, 0, 1]), name="vote_stance_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_stance_display()} on claim {self.claim_id}"


class ReasonEndorsement(models.Model):
    """+1 on someone else's reason instead of writing one's own."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reason_endorsements")
    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="endorsements")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "vote"], name="one_endorsement_per_user_reason"),
        ]

    def __str__(self) -> str:
        return f"Endorsement of vote {self.vote_id}"


class CruxLink(models.Model):
    """"My view on `claim` rests on `rests_on`", said by one user. Counted per pair."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="crux_links_out")
    rests_on = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="crux_links_in")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="crux_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim_id", "rests_on_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "rests_on", "created_by"], name="one_crux_link_per_user_pair"),
            models.CheckConstraint(condition=~Q(claim=F("rests_on")), name="crux_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"claim {self.claim_id} rests on claim {self.rests_on_id}"
