"""Reads for claims on a thread page and in the claim panel (owned by the span-vote work).

A thread page costs a fixed number of queries however many comments, claims and votes it
has: claims of the shown comments in one query, then one aggregate query each for vote
tallies (with the reader's own stance) and candidate-reason tallies; everything is
stitched together in Python. Who voted never leaves this module except as counts, and as
the reader's own votes.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, Max, Q, Value

from cruxes.models import CandidateReason, Claim, Comment, CruxLink, ReasonEndorsement, Stance, Vote

# Tint levels of the heat layer (CSS classes heat-d1..heat-d5 / heat-a1..heat-a5).
HEAT_LEVELS = 5
# Below this many votes on the hottest character the scale is absolute (1 vote = level 1),
# above it relative to the comment's hottest character, so both a quiet and a busy comment
# show where the disagreement concentrates.
HEAT_ABSOLUTE_UP_TO = HEAT_LEVELS
CRUX_SEARCH_LIMIT = 10


@dataclass
class ClaimSummary:
    id: int
    comment_id: int
    exact: str
    start: int
    end: int
    is_whole: bool
    is_author_marked: bool
    is_orphaned: bool
    agree: int = 0
    disagree: int = 0
    unsure: int = 0
    my_stance: int | None = None
    candidates: list[dict] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.agree + self.disagree + self.unsure

    @property
    def my_stance_name(self) -> str:
        return {1: "agree", 0: "unsure", -1: "disagree"}.get(self.my_stance, "")

    def as_json(self) -> dict:
        return {
            "id": self.id, "start": self.start, "end": self.end, "exact": self.exact,
            "agree": self.agree, "disagree": self.disagree, "unsure": self.unsure,
            "marked": self.is_author_marked, "mine": self.my_stance_name or None,
            "candidates": self.candidates,
        }


@dataclass
class CommentClaims:
    """What one comment's claim layer shows: the heat layer's data, the claims listed under
    the comment, and the claims orphaned by edits ("on an earlier version")."""

    comment_id: int
    is_author: bool
    whole: ClaimSummary | None
    spans: list[ClaimSummary]
    orphaned: list[ClaimSummary]
    segments: list[dict]

    @property
    def json_text(self) -> str:
        """as_json() serialised, for a data-* attribute: htmx drops <script> elements (even
        application/json ones) from swapped fragments under our config, attributes survive."""
        return json.dumps(self.as_json(), separators=(",", ":"), ensure_ascii=False)

    @property
    def shown_spans(self) -> list[ClaimSummary]:
        return [claim for claim in self.spans if claim.total or claim.is_author_marked]

    def as_json(self) -> dict:
        return {
            "commentId": self.comment_id,
            "isAuthor": self.is_author,
            "wholeClaimId": self.whole.id if self.whole else None,
            "claims": [claim.as_json() for claim in self.shown_spans],
            "segments": self.segments,
        }


def heat_level(count: int, hottest: int) -> int:
    if count <= 0:
        return 0
    scale = max(hottest, HEAT_ABSOLUTE_UP_TO)
    return max(1, min(HEAT_LEVELS, math.ceil(HEAT_LEVELS * count / scale)))


def heat_segments(claims: list[ClaimSummary]) -> list[dict]:
    """Cut the text at every claim boundary; each piece gets the number of disagree and agree
    votes whose span covers it, as tint levels, and the claims covering it (for clicks).
    A sweep over the boundaries, so a comment with thousands of slightly different spans
    stays cheap."""
    shown = [claim for claim in claims if claim.total or claim.is_author_marked]
    if not shown:
        return []
    starts: dict[int, list[ClaimSummary]] = defaultdict(list)
    ends: dict[int, list[ClaimSummary]] = defaultdict(list)
    for claim in shown:
        starts[claim.start].append(claim)
        ends[claim.end].append(claim)
    cuts = sorted(set(starts) | set(ends))
    active: dict[int, ClaimSummary] = {}
    disagree = agree = marked = mine = 0
    pieces = []
    for start, end in zip(cuts, cuts[1:]):
        for claim in ends.get(start, ()):
            del active[claim.id]
            disagree, agree = disagree - claim.disagree, agree - claim.agree
            marked -= claim.is_author_marked
            mine -= claim.my_stance is not None
        for claim in starts.get(start, ()):
            active[claim.id] = claim
            disagree, agree = disagree + claim.disagree, agree + claim.agree
            marked += claim.is_author_marked
            mine += claim.my_stance is not None
        if active:
            pieces.append((start, end, disagree, agree, marked > 0, mine > 0, sorted(active)))
    hottest_disagree = max(piece[2] for piece in pieces)
    hottest_agree = max(piece[3] for piece in pieces)
    return [
        {
            "start": start, "end": end,
            "d": heat_level(disagree, hottest_disagree), "a": heat_level(agree, hottest_agree),
            "disagree": disagree, "agree": agree, "marked": marked, "mine": mine, "claims": claim_ids,
        }
        for start, end, disagree, agree, marked, mine, claim_ids in pieces
    ]


def _summaries(claims: list[Claim], *, user) -> dict[int, ClaimSummary]:
    """Tallies with the reader's own stance, and candidate reasons, for `claims`: two queries."""
    summaries = {
        claim.id: ClaimSummary(
            id=claim.id, comment_id=claim.comment_id, exact=claim.exact, start=claim.start, end=claim.end,
            is_whole=claim.is_whole, is_author_marked=claim.is_author_marked, is_orphaned=claim.is_orphaned,
        )
        for claim in claims
    }
    if not summaries:
        return summaries
    comment_ids = {claim.comment_id for claim in claims}
    claim_filter = Q(claim__comment_id__in=comment_ids)
    user_id = user.pk if user is not None and user.is_authenticated else None
    # One aggregate per claim; a user has at most one vote per claim, so Max over their
    # votes is their stance (NULL when they haven't voted).
    tallies = (
        Vote.objects.filter(claim_filter)
        .values("claim_id")
        .annotate(
            agree=Count("id", filter=Q(stance=Stance.AGREE)),
            disagree=Count("id", filter=Q(stance=Stance.DISAGREE)),
            unsure=Count("id", filter=Q(stance=Stance.UNSURE)),
            mine=Max("stance", filter=Q(user_id=user_id)) if user_id else Value(None, IntegerField()),
        )
        .order_by()
    )
    for row in tallies:
        summary = summaries.get(row["claim_id"])
        if summary is not None:
            summary.agree, summary.disagree, summary.unsure = row["agree"], row["disagree"], row["unsure"]
            summary.my_stance = row["mine"]
    candidates = (
        CandidateReason.objects.filter(claim_filter)
        .annotate(pick_count=Count("picks"))
        .values_list("id", "claim_id", "text", "pick_count")
        .order_by("claim_id", "created_at", "id")
    )
    for candidate_id, claim_id, text, picks in candidates:
        if claim_id in summaries:
            summaries[claim_id].candidates.append({"id": candidate_id, "text": text, "picks": picks})
    return summaries


def thread_claims_context(*, thread, comments, user) -> dict:
    """Everything the thread page needs about claims, votes and reasons for `comments`, in a
    fixed number of queries (one for claims, two aggregates; none when nothing is shown).
    Returns a dict merged into the template context; the comment template reads per-comment
    data through `claims_by_comment[comment.id]`. Deleted and hidden comments get nothing:
    their text isn't shown, so neither are its spans."""
    visible = [comment for comment in comments if comment.is_visible]
    if not visible:
        return {"claims_by_comment": {}}
    claims = list(
        Claim.objects.filter(comment_id__in=[comment.id for comment in visible])
        .only("id", "comment_id", "exact", "start", "end", "is_whole", "is_author_marked", "status")
        .order_by("comment_id", "start", "end", "id")
    )
    summaries = _summaries(claims, user=user)
    by_comment: dict[int, list[ClaimSummary]] = defaultdict(list)
    for claim in claims:
        by_comment[claim.comment_id].append(summaries[claim.id])
    user_id = user.pk if user is not None and user.is_authenticated else None
    claims_by_comment = {}
    for comment in visible:
        rows = by_comment.get(comment.id, [])
        spans = [row for row in rows if not row.is_whole and not row.is_orphaned]
        claims_by_comment[comment.id] = CommentClaims(
            comment_id=comment.id,
            is_author=user_id is not None and comment.author_id == user_id,
            whole=next((row for row in rows if row.is_whole), None),
            spans=spans,
            orphaned=[row for row in rows if row.is_orphaned and not row.is_whole],
            segments=heat_segments(spans),
        )
    return {"claims_by_comment": claims_by_comment}


def comment_claims(*, comment: Comment, user) -> CommentClaims | None:
    """One comment's claim layer (after a vote, to refresh its heat)."""
    return thread_claims_context(thread=None, comments=[comment], user=user)["claims_by_comment"].get(comment.id)


# --- the claim panel ----------------------------------------------------------------------

@dataclass
class ReasonRow:
    vote_id: int
    stance: int
    text: str
    signed_by: str  # display name when the voter signed; "" otherwise
    endorsements: int
    is_mine: bool
    endorsed_by_me: bool

    @property
    def stance_name(self) -> str:
        return {1: "agree", 0: "unsure", -1: "disagree"}[self.stance]


@dataclass
class CruxLinkRow:
    claim_id: int
    exact: str
    count: int
    my_link_id: int | None


@dataclass
class ClaimPanel:
    claim: Claim
    summary: ClaimSummary
    reasons: list[ReasonRow]
    my_vote: Vote | None
    my_picked_ids: set[int]
    is_comment_author: bool
    can_vote: bool
    rests_on: list[CruxLinkRow]
    supports: list[CruxLinkRow]


def display_name(user) -> str:
    return (user.get_full_name() or user.get_username()).strip()


def claim_panel(*, claim_id: int, user) -> ClaimPanel | None:
    """The panel for one claim: counts, candidate tallies, reasons (most endorsed first;
    named only when signed), the reader's own vote and the crux links both ways."""
    claim = (
        Claim.objects.select_related("comment", "thread")
        .filter(pk=claim_id)
        .first()
    )
    if claim is None or not claim.comment.is_visible:
        return None
    summary = _summaries([claim], user=user)[claim.id]
    signed_in = user is not None and user.is_authenticated
    endorsed = set()
    if signed_in:
        endorsed = set(ReasonEndorsement.objects.filter(user=user, vote__claim=claim).values_list("vote_id", flat=True))
    votes = (
        Vote.objects.filter(claim=claim).exclude(reason="")
        .select_related("user")
        .annotate(endorsement_count=Count("endorsements"))
        .order_by("-endorsement_count", "-updated_at", "-id")
    )
    reasons = [
        ReasonRow(
            vote_id=vote.id, stance=vote.stance, text=vote.reason,
            signed_by=display_name(vote.user) if vote.reason_signed else "",
            endorsements=vote.endorsement_count,
            is_mine=signed_in and vote.user_id == user.pk,
            endorsed_by_me=vote.id in endorsed,
        )
        for vote in votes
    ]
    my_vote = None
    my_picked: set[int] = set()
    if signed_in:
        my_vote = Vote.objects.filter(claim=claim, user=user).first()
        if my_vote is not None:
            my_picked = set(my_vote.picked_reasons.values_list("id", flat=True))
    rests_on, supports = _crux_rows(claim, user if signed_in else None)
    return ClaimPanel(
        claim=claim, summary=summary, reasons=reasons, my_vote=my_vote, my_picked_ids=my_picked,
        is_comment_author=signed_in and claim.comment.author_id == user.pk,
        can_vote=signed_in and not claim.is_orphaned,
        rests_on=rests_on, supports=supports,
    )


def _crux_rows(claim: Claim, user) -> tuple[list[CruxLinkRow], list[CruxLinkRow]]:
    links = (
        CruxLink.objects.filter(Q(claim=claim) | Q(rests_on=claim))
        .filter(claim__comment__is_deleted=False, claim__comment__is_hidden=False,
                rests_on__comment__is_deleted=False, rests_on__comment__is_hidden=False)
        .select_related("claim", "rests_on")
        .order_by("id")
    )
    rests_on: dict[int, CruxLinkRow] = {}
    supports: dict[int, CruxLinkRow] = {}
    for link in links:
        outgoing = link.claim_id == claim.id
        other = link.rests_on if outgoing else link.claim
        rows = rests_on if outgoing else supports
        row = rows.setdefault(other.id, CruxLinkRow(claim_id=other.id, exact=other.exact, count=0, my_link_id=None))
        row.count += 1
        if user is not None and link.created_by_id == user.pk:
            row.my_link_id = link.id
    order = lambda row: (-row.count, row.claim_id)  # noqa: E731
    return sorted(rests_on.values(), key=order), sorted(supports.values(), key=order)


def crux_link_candidates(*, claim: Claim, query: str, limit: int = CRUX_SEARCH_LIMIT) -> list[Claim]:
    """Other claims in the claim's thread whose text contains `query`, on visible comments;
    anchored spans and whole comments first."""
    query = " ".join((query or "").split())
    found = Claim.objects.filter(thread_id=claim.thread_id, comment__is_deleted=False, comment__is_hidden=False)
    found = found.exclude(pk=claim.pk)
    if query:
        found = found.filter(exact__icontains=query)
    return list(found.order_by("status", "is_whole", "-updated_at", "-id")[:limit])
