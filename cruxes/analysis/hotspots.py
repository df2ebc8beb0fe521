"""Where: group the disagree-spans of one comment into hotspots.

Offsets are Unicode code-point offsets into the comment's plain text (Python ``str``
indices), ``end`` exclusive.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage


@dataclass(frozen=True)
class SpanVote:
    """One vote on a span of a comment. stance: +1 agree, -1 disagree, 0 unsure."""

    claim_id: int
    start: int
    end: int
    stance: int


@dataclass(frozen=True)
class Hotspot:
    """A region of the comment that several disagree-votes point at.

    ``start`` / ``end`` is the canonical span (snapped to a parenthetical or sentence
    when the votes fit one), ``exact`` its text, ``vote_count`` the disagree-votes in
    this hotspot, ``share`` = vote_count / the comment's total disagree-votes (whole-
    comment ones included), ``kind`` one of "parenthetical", "sentence", "span".
    """

    start: int
    end: int
    exact: str
    vote_count: int
    share: float
    claim_ids: list[int]
    kind: str
    summary: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class HotspotReport:
    """All hotspots of one comment, largest first.

    ``total_disagree`` counts every disagree-vote on the comment; ``whole_comment_disagree``
    the ones that selected the whole comment (they are not put in any hotspot).
    """

    text_length: int
    total_disagree: int
    whole_comment_disagree: int
    whole_comment_claim_ids: list[int]
    hotspots: list[Hotspot] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "text_length": self.text_length,
            "total_disagree": self.total_disagree,
            "whole_comment_disagree": self.whole_comment_disagree,
            "whole_comment_claim_ids": list(self.whole_comment_claim_ids),
            "hotspots": [hotspot.to_dict() for hotspot in self.hotspots],
        }


def find_hotspots(text: str, spans: Sequence[SpanVote]) -> HotspotReport:
    """Group the disagree-spans (stance == -1) of ``text`` into hotspots.

    Spans are grouped by how much they overlap (a span mostly inside another counts as
    the same place); a span covering the whole comment (after trimming whitespace) is
    counted in ``whole_comment_disagree`` instead. Each hotspot's canonical span is the
    stretch most of its votes cover, snapped to the enclosing parenthetical / bracket or
    sentence when that stretch fills most of it. Agree and unsure spans are ignored.
    Spans outside the text are clipped; empty spans are ignored.
    """
    text_length = len(text)
    disagree = []
    for vote in spans:
        if vote.stance != -1:
            continue
        start, end = max(0, int(vote.start)), min(text_length, int(vote.end))
        if end > start:
            disagree.append(SpanVote(vote.claim_id, start, end, vote.stance))

    content_start = text_length - len(text.lstrip())
    content_end = len(text.rstrip())
    whole = [v for v in disagree if v.start <= content_start and v.end >= content_end]
    partial = [v for v in disagree if not (v.start <= content_start and v.end >= content_end)]
    total = len(disagree)

    units = _text_units(text)
    hotspots = []
    for members in _group_by_overlap(partial):
        hotspots.append(_make_hotspot(text, members, total, units))
    hotspots.sort(key=lambda h: (-h.vote_count, h.start, h.end))
    return HotspotReport(
        text_length=text_length,
        total_disagree=total,
        whole_comment_disagree=len(whole),
        whole_comment_claim_ids=sorted({v.claim_id for v in whole}),
        hotspots=hotspots,
    )


# Two spans are "the same place" when the shorter one lies at least this much inside the
# longer one; groups are merged by average linkage, so one long span that touches two
# separate places cannot chain them together.
_SAME_PLACE_OVERLAP = 0.5

_SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f]+[\"'\u201d\u2019)\]]*(?=\s|$)|\n\s*\n|\n")
_OPENERS = {"(": ")", "[": "]", "{": "}", "\uff08": "\uff09"}


# Average linkage needs all pairwise distances of the distinct spans; past this many
# (a very hot comment), overlapping spans are simply chained into runs instead.
_MAX_LINKED_SPANS = 1500


def _group_by_overlap(votes: list[SpanVote]) -> list[list[SpanVote]]:
    if not votes:
        return []
    distinct = sorted({(v.start, v.end) for v in votes})
    if len(distinct) == 1:
        return [votes]
    if len(distinct) > _MAX_LINKED_SPANS:
        return _chain_overlapping(votes)
    bounds = np.array(distinct, dtype=np.float64)
    starts, ends = bounds[:, 0], bounds[:, 1]
    lengths = ends - starts
    overlap = np.clip(
        np.minimum(ends[:, None], ends[None, :]) - np.maximum(starts[:, None], starts[None, :]),
        0,
        None,
    )
    distance = 1.0 - overlap / np.minimum(lengths[:, None], lengths[None, :])
    np.fill_diagonal(distance, 0.0)
    condensed = distance[np.triu_indices(len(distinct), k=1)]
    tree = linkage(condensed, method="average")
    labels = fcluster(tree, t=1.0 - _SAME_PLACE_OVERLAP, criterion="distance")
    label_of = {span: label for span, label in zip(distinct, labels)}
    grouped: dict[int, list[SpanVote]] = {}
    for vote in votes:
        grouped.setdefault(label_of[(vote.start, vote.end)], []).append(vote)
    return list(grouped.values())


def _chain_overlapping(votes: list[SpanVote]) -> list[list[SpanVote]]:
    """Sweep-line grouping: a span joins the current run when it starts before the run ends."""
    runs: list[list[SpanVote]] = []
    run_end = -1
    for vote in sorted(votes, key=lambda v: (v.start, v.end)):
        if runs and vote.start < run_end:
            runs[-1].append(vote)
            run_end = max(run_end, vote.end)
        else:
            runs.append([vote])
            run_end = vote.end
    return runs


def _text_units(text: str) -> list[tuple[int, int, str]]:
    """Parentheticals / bracketed stretches and sentences as (start, end, kind)."""
    units = []
    stack: list[tuple[str, int]] = []
    for index, char in enumerate(text):
        if char in _OPENERS:
            stack.append((char, index))
        elif stack and char == _OPENERS[stack[-1][0]]:
            _, opened_at = stack.pop()
            units.append((opened_at, index + 1, "parenthetical"))
    sentence_start = 0
    for match in _SENTENCE_END.finditer(text):
        _add_sentence(text, sentence_start, match.end(), units)
        sentence_start = match.end()
    _add_sentence(text, sentence_start, len(text), units)
    return units


def _add_sentence(text: str, start: int, end: int, units: list) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        units.append((start, end, "sentence"))


def _core_span(members: list[SpanVote], text_length: int) -> tuple[int, int]:
    """The stretch covered by at least half of the hotspot's votes (or the peak)."""
    coverage = np.zeros(text_length + 1, dtype=np.int64)
    for vote in members:
        coverage[vote.start] += 1
        coverage[vote.end] -= 1
    coverage = np.cumsum(coverage)[:text_length]
    needed = max(1, math.ceil(len(members) / 2))
    if coverage.max() < needed:
        needed = coverage.max()
    covered = np.flatnonzero(coverage >= needed)
    # several disjoint majority stretches are possible; take the one with most coverage
    breaks = np.flatnonzero(np.diff(covered) > 1)
    pieces = np.split(covered, breaks + 1)
    best = max(pieces, key=lambda piece: (coverage[piece].sum(), -piece[0]))
    return int(best[0]), int(best[-1]) + 1


def _snap(text: str, core: tuple[int, int], units) -> tuple[int, int, str]:
    """Snap the core stretch to the smallest parenthetical / sentence it fills most of."""
    core_start, core_end = core
    core_chars = _visible_chars(text, core_start, core_end)
    fitting = []
    for start, end, kind in units:
        # a little slack: selections often miss the bracket or final full stop
        if start - 2 <= core_start and core_end <= end + 2:
            unit_chars = _visible_chars(text, start, end)
            if unit_chars and core_chars / unit_chars >= 0.5:
                fitting.append((end - start, 0 if kind == "parenthetical" else 1, start, end, kind))
    if fitting:
        _, _, start, end, kind = min(fitting)
        return start, end, kind
    start, end = core_start, core_end
    # widen to whole words so the canonical span never cuts a word in half
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end, "span"


def _visible_chars(text: str, start: int, end: int) -> int:
    return sum(1 for char in text[start:end] if not char.isspace())


def _make_hotspot(text: str, members: list[SpanVote], total: int, units) -> Hotspot:
    start, end, kind = _snap(text, _core_span(members, len(text)), units)
    count = len(members)
    share = count / total if total else 0.0
    exact = text[start:end]
    quoted = "\u201c" + (exact if len(exact) <= 60 else exact[:57].rstrip() + "\u2026") + "\u201d"
    where = {"parenthetical": "the parenthetical", "sentence": f"the sentence {quoted}"}.get(kind, quoted)
    noun = "disagree-vote is" if count == 1 else "disagree-votes are"
    summary = f"{count} of {total} {noun} on {where}"
    return Hotspot(
        start=start,
        end=end,
        exact=exact,
        vote_count=count,
        share=round(share, 4),
        claim_ids=sorted({v.claim_id for v in members}),
        kind=kind,
        summary=summary,
    )
