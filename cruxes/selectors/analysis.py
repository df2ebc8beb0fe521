"""Reads for the worker's results: the thread page's heat peaks, the claim panel's "why",
the opinion map and the author's digest. Each is a fixed number of queries, whatever the
number of comments, claims, themes or voters.

Freshness: a result is shown with the thread's AnalysisState. While a recompute is pending
(votes arrived after the last completed run started) the page says "updating…" and polls;
results are never presented as current while newer input is waiting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse

from cruxes.models import AnalysisResult, AnalysisState, Claim, Comment, CruxLink, Thread, Vote
from cruxes.services.analysis_runs import pseudonym_for

Kind = AnalysisResult.Kind

# The opinion map draws at most this many dots (a deterministic sample above it).
MAP_MAX_DOTS = 4_000
MAP_WIDTH, MAP_HEIGHT, MAP_PAD = 480, 320, 16
GROUP_COLOURS = 8  # og-group-0 … og-group-7 in analysis.css
# A claim is shown as agreed across groups when each group agrees at least this much.
GROUP_AWARE_MIN_AGREE = 0.6


@dataclass
class Freshness:
    """How current the thread's results are."""

    pending: bool = False
    failed: bool = False
    error: str = ""
    completed_at: object = None

    @classmethod
    def of(cls, state: AnalysisState | None) -> "Freshness":
        if state is None:
            return cls()
        pending = state.is_pending
        # the last run saw every request and failed: waiting longer won't help
        failed = bool(state.last_error) and pending and state.started_at is not None and (
            state.requested_at is None or state.started_at >= state.requested_at
        )
        return cls(pending=pending and not failed, failed=failed, error=state.last_error if failed else "",
                   completed_at=state.completed_at)


def _state(thread_id: int) -> AnalysisState | None:
    return AnalysisState.objects.filter(thread_id=thread_id).first()


def _visible_comment_or_404(comment: Comment) -> None:
    if comment.is_hidden or comment.is_deleted:
        raise Http404("That comment is not shown.")


# --- Thread page ---------------------------------------------------------------------------

def thread_analysis_context(*, thread, comments, user) -> dict:
    """Heat-layer peaks per comment and the analysis status, in two queries.

    `hotspots_by_comment[comment_id]` is a list of {start, end, exact, summary, share,
    vote_count, kind} (largest first), ready for data-* attributes on the heat layer.
    """
    comment_ids = [comment.pk for comment in comments]
    freshness = Freshness.of(_state(thread.pk))
    hotspots_by_comment: dict[int, list[dict]] = {}
    disagree_totals: dict[int, int] = {}
    if comment_ids:
        for subject_id, payload in AnalysisResult.objects.filter(
            kind=Kind.HOTSPOTS, subject_id__in=comment_ids
        ).values_list("subject_id", "payload"):
            hotspots_by_comment[subject_id] = [
                {key: hotspot[key] for key in ("start", "end", "exact", "summary", "share", "vote_count", "kind")}
                for hotspot in payload.get("hotspots", [])
            ]
            disagree_totals[subject_id] = payload.get("total_disagree", 0)
    # the thread's most disputed places, for the panel above the comments
    peaks = sorted(
        ({"comment_id": comment_id, **hotspot} for comment_id, hotspots in hotspots_by_comment.items()
         for hotspot in hotspots[:1] if hotspot["vote_count"] >= 2),
        key=lambda peak: (-peak["vote_count"], peak["comment_id"]),
    )[:3]
    return {
        "hotspots_by_comment": hotspots_by_comment,
        "thread_peaks": peaks,
        "disagree_totals": disagree_totals,
        "analysis_freshness": freshness,
        "opinions_url": reverse("cruxes:thread_opinions", kwargs={"thread_id": thread.pk}),
    }


# --- Claim panel: why people disagreed ------------------------------------------------------

@dataclass
class ReasonView:
    vote_id: int
    text: str
    signed_by: str = ""  # the voter's name, only when they chose to sign the reason


@dataclass
class ThemeView:
    label: str
    count: int
    representative: ReasonView | None
    members: list[ReasonView]
    candidate_text: str = ""
    is_other: bool = False
    share: float = 0.0


@dataclass
class CruxView:
    claim_id: int
    exact: str
    url: str
    sentence: str = ""
    support: int = 0
    score: float = 0.0
    explicit_count: int = 0


@dataclass
class ClaimWhy:
    claim: Claim
    freshness: Freshness
    version: int | None
    computed_at: object
    disagree_themes: list[ThemeView] = field(default_factory=list)
    agree_themes: list[ThemeView] = field(default_factory=list)
    unsure_themes: list[ThemeView] = field(default_factory=list)
    reason_count: int = 0
    candidates: list[dict] = field(default_factory=list)
    crux_candidates: list[CruxView] = field(default_factory=list)
    explicit_cruxes: list[CruxView] = field(default_factory=list)
    crux_min_support: int = 0


def _theme_views(report: dict | None, reasons: dict[int, ReasonView], candidates: dict[int, str]) -> list[ThemeView]:
    if not report:
        return []
    total = max(1, report.get("total_reasons", 0))
    views = []
    for theme in report.get("themes", []):
        members = [reasons[vote_id] for vote_id in theme["member_ids"] if vote_id in reasons]
        representative = reasons.get(theme["representative_id"])
        if representative is not None and not representative.text:
            representative = None
        views.append(ThemeView(
            label=theme["label"],
            count=theme["count"],
            representative=representative,
            members=members,
            candidate_text=candidates.get(theme.get("candidate_id"), "") if theme.get("candidate_id") else "",
            is_other=theme.get("is_other", False),
            share=theme["count"] / total,
        ))
    return views


def _member_ids(*reports) -> set[int]:
    ids: set[int] = set()
    for report in reports:
        for theme in (report or {}).get("themes", []):
            ids.update(theme["member_ids"])
            ids.add(theme["representative_id"])
    return ids


def _reason_views(vote_ids) -> dict[int, ReasonView]:
    """Current text of the reasons (one query); names only for signed reasons."""
    if not vote_ids:
        return {}
    return {
        vote_id: ReasonView(vote_id=vote_id, text=reason, signed_by=username if signed else "")
        for vote_id, reason, signed, username in Vote.objects.filter(pk__in=vote_ids)
        .values_list("id", "reason", "reason_signed", "user__username")
    }


def _claim_url(claim_id: int, comment_id: int, thread_id: int) -> str:
    return reverse("cruxes:thread_detail", kwargs={"thread_id": thread_id}) + f"#c-{comment_id}"


def _crux_sentence(candidate: dict) -> str:
    """The measure in words, about "this claim" and "that one" (the math names claims by id)."""
    tendency = "the same way" if candidate.get("direction") == "same" else "opposite ways"
    return (
        f"Knowing someone's vote on it predicts their vote here {_percent(candidate.get('accuracy', 0))} of the "
        f"time (guessing the majority vote: {_percent(candidate.get('baseline', 0))}), over "
        f"{candidate.get('support', 0)} people who voted on both; votes tend to go {tendency}."
    )


def claim_why(*, claim_id: int, user) -> ClaimWhy:
    """The claim panel's "why people disagreed" section: themes and crux candidates."""
    claim = Claim.objects.select_related("comment").filter(pk=claim_id).first()
    if claim is None:
        raise Http404("No such claim.")
    _visible_comment_or_404(claim.comment)
    freshness = Freshness.of(_state(claim.thread_id))
    results = {
        kind: (payload, version, computed_at)
        for kind, payload, version, computed_at in AnalysisResult.objects.filter(
            Q(kind=Kind.THEMES) | Q(kind=Kind.CRUX_CANDIDATES), subject_id=claim.pk
        ).values_list("kind", "payload", "version", "computed_at")
    }
    themes_payload, version, computed_at = results.get(Kind.THEMES, ({}, None, None))
    crux_payload = results.get(Kind.CRUX_CANDIDATES, ({}, None, None))[0]

    reports = [themes_payload.get(stance) for stance in ("disagree", "agree", "unsure")]
    reasons = _reason_views(_member_ids(*reports))
    candidates = {c["id"]: c["text"] for c in themes_payload.get("candidates", [])}
    why = ClaimWhy(
        claim=claim,
        freshness=freshness,
        version=version,
        computed_at=computed_at,
        disagree_themes=_theme_views(reports[0], reasons, candidates),
        agree_themes=_theme_views(reports[1], reasons, candidates),
        unsure_themes=_theme_views(reports[2], reasons, candidates),
        reason_count=themes_payload.get("reason_count", 0),
        candidates=themes_payload.get("candidates", []),
        crux_min_support=crux_payload.get("min_support", 0),
    )

    # Crux candidates (computed) beside crux links (said by people), in two queries.
    explicit = dict(
        CruxLink.objects.filter(claim_id=claim.pk).values("rests_on_id").annotate(n=Count("id"))
        .values_list("rests_on_id", "n")
    )
    computed = crux_payload.get("candidates", [])
    other_ids = set(explicit) | {c["predictor_claim_id"] for c in computed}
    others = {
        pk: (exact, comment_id, thread_id)
        for pk, exact, comment_id, thread_id in Claim.objects.filter(pk__in=other_ids)
        .values_list("id", "exact", "comment_id", "thread_id")
    } if other_ids else {}
    for candidate in computed:
        other = others.get(candidate["predictor_claim_id"])
        if other is None:
            continue
        why.crux_candidates.append(CruxView(
            claim_id=candidate["predictor_claim_id"], exact=other[0], url=_claim_url(candidate["predictor_claim_id"], other[1], other[2]),
            sentence=_crux_sentence(candidate), support=candidate.get("support", 0),
            score=candidate.get("score", 0.0), explicit_count=explicit.get(candidate["predictor_claim_id"], 0),
        ))
    for rests_on_id, count in sorted(explicit.items(), key=lambda item: (-item[1], item[0])):
        other = others.get(rests_on_id)
        if other is not None:
            why.explicit_cruxes.append(CruxView(
                claim_id=rests_on_id, exact=other[0], url=_claim_url(rests_on_id, other[1], other[2]),
                explicit_count=count,
            ))
    return why


# --- Opinion map ------------------------------------------------------------------------------

@dataclass
class Dot:
    x: float
    y: float
    group_class: str
    is_you: bool = False


@dataclass
class ClaimLine:
    claim_id: int
    exact: str
    url: str
    detail: str


@dataclass
class GroupView:
    group_id: int
    size: int
    colour_class: str
    label: str
    representative: list[ClaimLine]


@dataclass
class OpinionMap:
    thread: Thread
    freshness: Freshness
    status: str  # "none", "insufficient", "ok"
    n_voters: int = 0
    n_claims: int = 0
    min_voters: int = 0
    dots: list[Dot] = field(default_factory=list)
    dots_total: int = 0
    groups: list[GroupView] = field(default_factory=list)
    consensus: list[ClaimLine] = field(default_factory=list)
    group_aware: list[ClaimLine] = field(default_factory=list)
    excluded: int = 0
    you_group: str = ""
    version: int | None = None
    computed_at: object = None
    width: int = MAP_WIDTH
    height: int = MAP_HEIGHT


def _percent(value: float) -> str:
    return f"{round(100 * value)}%"


def _scale(values: list[float], size: int) -> tuple[float, float]:
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return low, (size - 2 * MAP_PAD) / span


def opinion_map(*, thread_id: int, user) -> OpinionMap:
    thread = Thread.objects.filter(pk=thread_id).first()
    if thread is None:
        raise Http404("No such thread.")
    freshness = Freshness.of(_state(thread.pk))
    row = AnalysisResult.objects.filter(kind=Kind.OPINION_GROUPS, subject_id=thread.pk).values_list(
        "payload", "version", "computed_at").first()
    if row is None:
        return OpinionMap(thread=thread, freshness=freshness, status="none")
    payload, version, computed_at = row
    view = OpinionMap(
        thread=thread, freshness=freshness, status=payload.get("status", "ok"), version=version,
        computed_at=computed_at, n_voters=payload.get("n_voters", 0), n_claims=payload.get("n_claims", 0),
        min_voters=payload.get("min_voters", 0),
    )
    if view.status != "ok":
        return view

    you = pseudonym_for(thread_id=thread.pk, user_id=user.pk) if user.is_authenticated else None
    points = payload.get("points", [])
    view.dots_total = len(points)
    view.excluded = len(payload.get("excluded_voter_ids", []))
    shown = points if len(points) <= MAP_MAX_DOTS else points[:: -(-len(points) // MAP_MAX_DOTS)]
    if you is not None:
        mine = [p for p in points if p[0] == you]
        if mine and mine[0] not in shown:
            shown = shown + mine
        if mine:
            view.you_group = f"og-group-{mine[0][3] % GROUP_COLOURS}"
    if shown:
        x_low, x_scale = _scale([p[1] for p in shown], MAP_WIDTH)
        y_low, y_scale = _scale([p[2] for p in shown], MAP_HEIGHT)
        for pseudonym, x, y, group in shown:
            view.dots.append(Dot(
                x=round(MAP_PAD + (x - x_low) * x_scale, 1),
                # SVG's y grows downwards; flip so "up" on the map is up in the projection
                y=round(MAP_HEIGHT - MAP_PAD - (y - y_low) * y_scale, 1),
                group_class=f"og-group-{group % GROUP_COLOURS}",
                is_you=pseudonym == you,
            ))
        view.dots.sort(key=lambda dot: dot.is_you)  # draw "you" last, on top

    claim_ids = {c["claim_id"] for g in payload.get("groups", []) for c in g.get("representative_claims", [])}
    claim_ids |= {c["claim_id"] for c in payload.get("consensus_claims", [])}
    claim_ids |= {c["claim_id"] for c in payload.get("group_aware_consensus", [])}
    claims = {
        pk: (exact, comment_id)
        for pk, exact, comment_id in Claim.objects.filter(pk__in=claim_ids, thread_id=thread.pk)
        .values_list("id", "exact", "comment_id")
    } if claim_ids else {}

    def line(claim_id: int, detail: str) -> ClaimLine | None:
        if claim_id not in claims:
            return None
        exact, comment_id = claims[claim_id]
        return ClaimLine(claim_id=claim_id, exact=exact, url=_claim_url(claim_id, comment_id, thread.pk), detail=detail)

    for index, group in enumerate(payload.get("groups", [])):
        lines = []
        for rep in group.get("representative_claims", [])[:5]:
            verb = "agree" if rep["direction"] == "agree" else "disagree"
            item = line(rep["claim_id"], f"{_percent(rep['probability'])} of this group {verb} "
                                         f"({rep['n_agree'] if verb == 'agree' else rep['n_disagree']} "
                                         f"of {rep['n_seen']} who voted)")
            if item:
                lines.append(item)
        view.groups.append(GroupView(
            group_id=group["group_id"], size=group["size"],
            colour_class=f"og-group-{group['group_id'] % GROUP_COLOURS}",
            label=f"Group {chr(ord('A') + index) if index < 26 else index + 1}", representative=lines,
        ))
    for consensus in payload.get("consensus_claims", [])[:8]:
        verb = "agree" if consensus["direction"] == "agree" else "disagree"
        item = line(consensus["claim_id"], f"{_percent(consensus['probability'])} of everyone {verb} "
                                           f"({consensus['n_seen']} voted)")
        if item:
            view.consensus.append(item)
    label_of = {group.group_id: group.label for group in view.groups}
    for consensus in payload.get("group_aware_consensus", []):
        probabilities = sorted(consensus.get("group_agree_probabilities", {}).items(), key=lambda item: int(item[0]))
        # only what every group leans towards agreeing with is "agreed across groups"
        if len(probabilities) < 2 or min(p for _, p in probabilities) < GROUP_AWARE_MIN_AGREE:
            continue
        detail = "agreed by " + ", ".join(
            f"{_percent(p)} of {label_of.get(int(group_id), 'group ' + str(group_id))}" for group_id, p in probabilities
        )
        item = line(consensus["claim_id"], detail)
        if item:
            view.group_aware.append(item)
        if len(view.group_aware) == 8:
            break
    return view


# --- The author's digest ----------------------------------------------------------------------

@dataclass
class HotspotView:
    start: int
    end: int
    exact: str
    summary: str
    share: float
    vote_count: int
    themes: list[ThemeView]


@dataclass
class ClaimDigest:
    claim: Claim
    disagree_themes: list[ThemeView]
    reason_count: int


@dataclass
class CommentDigest:
    comment: Comment
    is_author: bool
    freshness: Freshness
    total_disagree: int = 0
    whole_comment_disagree: int = 0
    hotspots: list[HotspotView] = field(default_factory=list)
    claims: list[ClaimDigest] = field(default_factory=list)
    version: int | None = None
    computed_at: object = None


def comment_digest(*, comment_id: int, user) -> CommentDigest:
    """Where and why people disagreed with one comment. Everything in it derives from
    public data (the anonymous heat layer and unsigned reasons), so anyone may read it;
    the author's view adds every member reason of each theme and prompts to act."""
    comment = Comment.objects.select_related("thread").filter(pk=comment_id).first()
    if comment is None:
        raise Http404("No such comment.")
    _visible_comment_or_404(comment)
    digest = CommentDigest(
        comment=comment,
        is_author=user.is_authenticated and user.pk == comment.author_id,
        freshness=Freshness.of(_state(comment.thread_id)),
    )
    claims = {claim.pk: claim for claim in Claim.objects.filter(comment_id=comment.pk)}
    hotspot_payload, theme_payloads = None, {}
    for kind, subject_id, payload, version, computed_at in AnalysisResult.objects.filter(
        Q(kind=Kind.HOTSPOTS, subject_id=comment.pk) | Q(kind=Kind.THEMES, subject_id__in=list(claims))
    ).values_list("kind", "subject_id", "payload", "version", "computed_at"):
        if kind == Kind.HOTSPOTS:
            hotspot_payload, digest.version, digest.computed_at = payload, version, computed_at
        else:
            theme_payloads[subject_id] = payload

    hotspot_reports = [h.get("themes") for h in (hotspot_payload or {}).get("hotspots", [])]
    claim_reports = [p.get("disagree") for p in theme_payloads.values()]
    reasons = _reason_views(_member_ids(*hotspot_reports, *claim_reports))
    candidates = {c["id"]: c["text"] for p in theme_payloads.values() for c in p.get("candidates", [])}

    if hotspot_payload:
        digest.total_disagree = hotspot_payload.get("total_disagree", 0)
        digest.whole_comment_disagree = hotspot_payload.get("whole_comment_disagree", 0)
        for hotspot in hotspot_payload.get("hotspots", []):
            digest.hotspots.append(HotspotView(
                start=hotspot["start"], end=hotspot["end"], exact=hotspot["exact"], summary=hotspot["summary"],
                share=hotspot["share"], vote_count=hotspot["vote_count"],
                themes=_theme_views(hotspot.get("themes"), reasons, candidates),
            ))
    # a hotspot made of one claim already shows that claim's themes under "Where"
    shown_with_hotspot = {
        h["claim_ids"][0] for h in (hotspot_payload or {}).get("hotspots", []) if len(h.get("claim_ids", [])) == 1
    }
    for claim_id, payload in sorted(theme_payloads.items()):
        if claim_id in shown_with_hotspot:
            continue
        themes = _theme_views(payload.get("disagree"), reasons, candidates)
        if themes:
            digest.claims.append(ClaimDigest(claim=claims[claim_id], disagree_themes=themes,
                                             reason_count=sum(t.count for t in themes)))
    digest.claims.sort(key=lambda c: (not c.claim.is_whole, -c.reason_count, c.claim.start))
    return digest
