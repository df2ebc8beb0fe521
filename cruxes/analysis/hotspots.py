"""Where: group the disagree-spans of one comment into hotspots.

Offsets are Unicode code-point offsets into the comment's plain text (Python ``str``
indices), ``end`` exclusive.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Sequence


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
    raise NotImplementedError
