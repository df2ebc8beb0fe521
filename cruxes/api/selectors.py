"""Reads behind the API: querysets for each resource and the per-page lookups (tallies,
counts) that are fetched once for a whole page with `id__in`, never per row."""

from collections import defaultdict

from django.db.models import Count, Q, QuerySet

from cruxes.models import (
    AnalysisResult,
    CandidateReason,
    Claim,
    Comment,
    CruxLink,
    ReasonEndorsement,
    Stance,
    Thread,
    Vote,
)

AUTHOR_FIELDS = ("author__first_name", "author__last_name")


def threads() -> QuerySet[Thread]:
    return Thread.objects.select_related("author").only("title", "author_id", "created_at", "updated_at",
                                                        "last_activity_at", "comment_count", *AUTHOR_FIELDS)


def comments() -> QuerySet[Comment]:
    return Comment.objects.select_related("author").defer("author__password")


def claims() -> QuerySet[Claim]:
    return Claim.objects.all()


def own_votes(user) -> QuerySet[Vote]:
    return Vote.objects.filter(user=user).select_related("claim").only(
        "claim_id", "claim__comment_id", "claim__thread_id", "stance", "reason", "reason_signed",
        "created_at", "updated_at", "user_id",
    )


def reasons() -> QuerySet[Vote]:
    """Votes that carry a reason. The voter is only joined for the signed display name."""
    return Vote.objects.exclude(reason="").select_related("claim", "user").only(
        "claim_id", "claim__comment_id", "claim__thread_id", "stance", "reason", "reason_signed", "created_at",
        "updated_at", "user_id", "user__first_name", "user__last_name",
    )


def own_endorsements(user) -> QuerySet[ReasonEndorsement]:
    return ReasonEndorsement.objects.filter(user=user).select_related("vote__claim").only(
        "vote_id", "vote__claim_id", "vote__claim__thread_id", "created_at", "user_id",
    )


def candidate_reasons() -> QuerySet[CandidateReason]:
    return CandidateReason.objects.select_related("claim", "author").only(
        "claim_id", "claim__thread_id", "text", "created_at", "updated_at", "author_id", *AUTHOR_FIELDS,
    )


def crux_links() -> QuerySet[CruxLink]:
    return CruxLink.objects.select_related("claim").only(
        "claim_id", "claim__thread_id", "rests_on_id", "created_at", "created_by_id",
    )


def analysis_results(kind: str | None = None) -> QuerySet[AnalysisResult]:
    queryset = AnalysisResult.objects.all()
    return queryset if kind is None else queryset.filter(kind=kind)


# --- Per-page lookups (one query each for a whole page) -----------------------------------

def claim_tallies(claim_ids) -> dict[int, dict[str, int]]:
    """{claim id: {"agree": n, "disagree": n, "unsure": n, "reasons": n}} in one query."""
    rows = (
        Vote.objects.filter(claim_id__in=list(claim_ids))
        .values("claim_id")
        .annotate(
            agree=Count("id", filter=Q(stance=Stance.AGREE)),
            disagree=Count("id", filter=Q(stance=Stance.DISAGREE)),
            unsure=Count("id", filter=Q(stance=Stance.UNSURE)),
            reasons=Count("id", filter=~Q(reason="")),
        )
        .order_by()
    )
    return {row.pop("claim_id"): row for row in rows}


def endorsement_counts(vote_ids) -> dict[int, int]:
    rows = (ReasonEndorsement.objects.filter(vote_id__in=list(vote_ids)).values("vote_id")
            .annotate(n=Count("id")).order_by())
    return {row["vote_id"]: row["n"] for row in rows}


def endorsed_by(user, vote_ids) -> set[int]:
    if not (user and user.is_authenticated):
        return set()
    return set(ReasonEndorsement.objects.filter(user=user, vote_id__in=list(vote_ids))
               .values_list("vote_id", flat=True))


def picked_reason_ids(vote_ids) -> dict[int, list[int]]:
    """{vote id: [candidate reason ids]} for a page of votes, in one query."""
    through = Vote.picked_reasons.through
    picks: dict[int, list[int]] = defaultdict(list)
    for vote_id, candidate_id in (through.objects.filter(vote_id__in=list(vote_ids))
                                  .values_list("vote_id", "candidatereason_id").order_by("candidatereason_id")):
        picks[vote_id].append(candidate_id)
    return picks


def pick_counts(candidate_ids) -> dict[int, int]:
    through = Vote.picked_reasons.through
    rows = (through.objects.filter(candidatereason_id__in=list(candidate_ids)).values("candidatereason_id")
            .annotate(n=Count("id")).order_by())
    return {row["candidatereason_id"]: row["n"] for row in rows}


def whole_claim_ids(comment_ids) -> dict[int, int]:
    return dict(Claim.objects.filter(comment_id__in=list(comment_ids), is_whole=True)
                .values_list("comment_id", "id"))


def opening_comment_ids(thread_ids) -> dict[int, int]:
    return dict(Comment.objects.filter(thread_id__in=list(thread_ids), is_opening=True)
                .values_list("thread_id", "id"))


def comment_visibility(comment_ids) -> dict[int, bool]:
    """{comment id: shown} — a deleted or hidden comment's text stays out of claim rows too."""
    rows = Comment.objects.filter(pk__in=set(comment_ids)).values_list("id", "is_deleted", "is_hidden")
    return {pk: not (deleted or hidden) for pk, deleted, hidden in rows}
