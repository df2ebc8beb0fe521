"""Why: cluster the written reasons of a claim (or hotspot) into themes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Sequence

from cruxes.analysis.text_backends import TextBackend


@dataclass(frozen=True)
class ReasonInput:
    """One voter's reason. ``candidate_ids``: candidate reasons the voter picked; text may
    then be empty."""

    id: int
    text: str
    candidate_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class CandidateInput:
    """A candidate reason offered by the comment's author (or moderators)."""

    id: int
    text: str


@dataclass(frozen=True)
class Theme:
    """A group of reasons that say the same thing.

    ``candidate_id`` is set when the theme is a candidate reason's theme; ``is_other`` when
    it is the leftover bucket of reasons that fit no theme of minimum size.
    """

    label: str
    count: int
    representative_id: int
    representative_text: str
    member_ids: list[int]
    candidate_id: int | None = None
    is_other: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ThemeReport:
    """Themes sorted by count (largest first; the "other" bucket last)."""

    backend: str
    total_reasons: int
    min_theme_size: int
    themes: list[Theme] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "backend": self.backend,
            "total_reasons": self.total_reasons,
            "min_theme_size": self.min_theme_size,
            "themes": [theme.to_dict() for theme in self.themes],
        }


def cluster_reasons(
    reasons: Sequence[ReasonInput],
    candidates: Sequence[CandidateInput] = (),
    *,
    backend: TextBackend | None = None,
) -> ThemeReport:
    """Group ``reasons`` into themes.

    A reason that picked a candidate joins that candidate's theme; a written reason whose
    text restates a candidate (cosine >= backend.restates_similarity) joins it too. The
    rest are clustered by average-linkage agglomerative clustering with a cosine distance
    threshold (backend.theme_distance), so the number of themes follows the texts rather
    than a silhouette optimum; above a few thousand reasons, they are first reduced to
    micro-clusters by k-means. Clusters smaller than the minimum theme size (1 below 20
    reasons, else max(2, ceil(1% of reasons))) go to a single "other" theme.
    ``backend`` defaults to :class:`TfidfLsaBackend`.
    """
    raise NotImplementedError
