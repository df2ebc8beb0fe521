"""Why: cluster the written reasons of a claim (or hotspot) into themes."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
from sklearn.preprocessing import normalize

from cruxes.analysis.text_backends import TextBackend, TfidfLsaBackend


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
    than a silhouette optimum; above 2,000 reasons, a random 2,000 are clustered and the
    others join the nearest of those clusters (or are clustered among themselves when
    none is close). Clusters smaller than the minimum theme size (1 below 20 reasons,
    else max(2, ceil(1% of reasons))) go to a single "other" theme.
    ``backend`` defaults to :class:`TfidfLsaBackend`. Reasons with no text and no known
    candidate go to "other".
    """
    backend = backend or TfidfLsaBackend()
    total = len(reasons)
    min_size = min_theme_size(total)
    if total == 0:
        return ThemeReport(backend=backend.name, total_reasons=0, min_theme_size=min_size)

    candidate_index = {candidate.id: index for index, candidate in enumerate(candidates)}
    # theme key: ("candidate", candidate index) or ("cluster", label) or ("other", 0)
    theme_of: list[tuple[str, int]] = [("other", 0)] * total
    to_embed: list[int] = []
    for position, reason in enumerate(reasons):
        picked = [candidate_index[c] for c in reason.candidate_ids if c in candidate_index]
        if picked:
            # the voter said which candidate they meant; their text only elaborates
            theme_of[position] = ("candidate", picked[0])
        elif reason.text and reason.text.strip():
            to_embed.append(position)

    texts = [reasons[position].text for position in to_embed]
    candidate_texts = [candidate.text for candidate in candidates]
    # embed reasons that picked a candidate too, so their text can represent the theme
    picked_positions = [
        p for p in range(total) if theme_of[p][0] == "candidate" and (reasons[p].text or "").strip()
    ]
    all_vectors = backend.embed(texts + [reasons[p].text for p in picked_positions] + candidate_texts)
    reason_vectors = all_vectors[: len(texts)]
    vector_of = {position: all_vectors[row] for row, position in enumerate(to_embed)}
    for row, position in enumerate(picked_positions):
        vector_of[position] = all_vectors[len(texts) + row]
    candidate_vectors = all_vectors[len(texts) + len(picked_positions) :]

    unassigned_rows = list(range(len(texts)))
    if len(candidates) and len(texts):
        similarity = reason_vectors @ candidate_vectors.T
        best = similarity.argmax(axis=1)
        restates = similarity[np.arange(len(texts)), best] >= backend.restates_similarity
        for row in np.flatnonzero(restates):
            theme_of[to_embed[row]] = ("candidate", int(best[row]))
        unassigned_rows = [int(row) for row in np.flatnonzero(~restates)]

    labels = _cluster_vectors(reason_vectors[unassigned_rows], backend.theme_distance)
    for row, label in zip(unassigned_rows, labels):
        theme_of[to_embed[row]] = ("cluster", int(label))

    members_of: dict[tuple[str, int], list[int]] = {}
    for position, key in enumerate(theme_of):
        members_of.setdefault(key, []).append(position)
    for key in [k for k in members_of if k[0] == "cluster" and len(members_of[k]) < min_size]:
        members_of.setdefault(("other", 0), []).extend(members_of.pop(key))

    all_texts = [reason.text or "" for reason in reasons]
    labeller = _Labeller(all_texts)
    themes = []
    for key, positions in members_of.items():
        positions.sort()
        kind, index = key
        representative = _most_central(positions, vector_of)
        if representative is None:
            representative = positions[0]
            representative_text = candidates[index].text if kind == "candidate" else ""
        else:
            representative_text = reasons[representative].text
        if kind == "candidate":
            label = _shorten(candidates[index].text)
        elif kind == "other":
            label = "other"
        else:
            label = labeller.label(positions) or _shorten(representative_text)
        themes.append(
            Theme(
                label=label,
                count=len(positions),
                representative_id=int(reasons[representative].id),
                representative_text=representative_text,
                member_ids=[int(reasons[p].id) for p in positions],
                candidate_id=int(candidates[index].id) if kind == "candidate" else None,
                is_other=kind == "other",
            )
        )
    themes.sort(key=lambda theme: (theme.is_other, -theme.count, theme.representative_id))
    return ThemeReport(
        backend=backend.name, total_reasons=total, min_theme_size=min_size, themes=themes
    )


# Up to this many texts, average linkage runs on all pairwise distances (n^2/2 floats);
# above it, a sample this size is clustered and the rest join the nearest cluster.
MAX_DIRECT_LINKAGE = 2000


def min_theme_size(n_reasons: int) -> int:
    """Smallest cluster shown as its own theme: every cluster while there are few reasons
    (each one is worth reading), 1% of the reasons (at least 2) once there are 20 or more."""
    if n_reasons < 20:
        return 1
    return max(2, math.ceil(0.01 * n_reasons))


def _cluster_vectors(vectors: np.ndarray, distance_threshold: float, seed: int = 0) -> np.ndarray:
    """Average-linkage clusters whose mean pairwise cosine distance stays under the threshold.

    Above MAX_DIRECT_LINKAGE texts, a random sample of that many is clustered, every text
    joins the sample cluster whose centroid is within the threshold (closest first), and
    the texts that fit none are clustered the same way on their own.
    """
    n = len(vectors)
    if n <= 1:
        return np.zeros(n, dtype=np.int64)
    if n <= MAX_DIRECT_LINKAGE:
        return _average_linkage(vectors, distance_threshold)
    rng = np.random.default_rng(seed)
    sample = rng.choice(n, size=MAX_DIRECT_LINKAGE, replace=False)
    sample_labels = _average_linkage(vectors[sample], distance_threshold)
    n_clusters = int(sample_labels.max()) + 1
    centroids = np.zeros((n_clusters, vectors.shape[1]), dtype=np.float64)
    np.add.at(centroids, sample_labels, vectors[sample])
    centroids = normalize(centroids)
    similarity = vectors @ centroids.T.astype(vectors.dtype)
    labels = similarity.argmax(axis=1).astype(np.int64)
    fits = 1.0 - similarity[np.arange(n), labels] <= distance_threshold
    labels[sample] = sample_labels
    fits[sample] = True
    leftovers = np.flatnonzero(~fits)
    if len(leftovers):
        labels[leftovers] = n_clusters + _cluster_vectors(vectors[leftovers], distance_threshold, seed + 1)
    return labels


def _average_linkage(vectors: np.ndarray, distance_threshold: float) -> np.ndarray:
    similarity = np.clip(vectors @ vectors.T, -1.0, 1.0)
    distance = 1.0 - similarity
    condensed = distance[np.triu_indices(len(vectors), k=1)].astype(np.float64)
    condensed = np.clip(condensed, 0.0, None)
    tree = linkage(condensed, method="average")
    return fcluster(tree, t=distance_threshold, criterion="distance") - 1


def _most_central(positions: list[int], vector_of: dict[int, np.ndarray]) -> int | None:
    with_text = [p for p in positions if p in vector_of]
    if not with_text:
        return None
    vectors = np.stack([vector_of[p] for p in with_text])
    centroid = vectors.mean(axis=0)
    return with_text[int(np.argmax(vectors @ centroid))]


def _shorten(text: str, limit: int = 60) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "\u2026"


# Left-overs of contractions ("won't" -> "won") and filler that make poor labels.
_LABEL_STOP_WORDS = sorted(
    ENGLISH_STOP_WORDS
    | {"won", "don", "doesn", "isn", "aren", "didn", "wasn", "weren", "couldn", "wouldn",
       "shouldn", "haven", "hasn", "ll", "ve", "think", "really", "just", "honestly", "reason"}
)


class _Labeller:
    """Short labels from the words a theme uses far more often than the other reasons."""

    def __init__(self, texts: list[str]) -> None:
        self.vectorizer = CountVectorizer(
            ngram_range=(1, 2), stop_words=_LABEL_STOP_WORDS, binary=True, token_pattern=r"(?u)\b[^\W\d_]{3,}\b"
        )
        try:
            self.presence = self.vectorizer.fit_transform(texts).tocsr()
        except ValueError:  # nothing but stop words
            self.presence = None
            return
        self.terms = self.vectorizer.get_feature_names_out()
        self.overall = (np.asarray(self.presence.sum(axis=0)).ravel() + 1) / (len(texts) + 2)

    def label(self, positions: list[int], max_terms: int = 3) -> str:
        if self.presence is None:
            return ""
        inside = np.asarray(self.presence[positions].sum(axis=0)).ravel()
        share = inside / len(positions)
        # distinctive and common within the theme: share * log-lift, used by >= 2 members
        score = share * np.log((share + 1e-9) / self.overall)
        score[(inside < min(2, len(positions))) | (score <= 0)] = -np.inf
        chosen: list[str] = []
        for index in np.argsort(-score):
            if not np.isfinite(score[index]) or len(chosen) == max_terms:
                break
            term = self.terms[index]
            if any(term in other or other in term for other in chosen):
                continue
            chosen.append(term)
        return ", ".join(chosen)
