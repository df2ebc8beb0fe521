"""Pure math for the three lenses (where / why / who) of a crux discussion.

This package takes plain Python values and numpy / scipy arrays and returns plain
dataclasses. It never imports Django or anything else from ``cruxes``, so it can be
tested and benchmarked without a database. Every result dataclass has ``to_dict()``
returning JSON-serialisable data (ints, floats, strings, lists, dicts) that a task
can store as-is.

Where — :func:`find_hotspots` groups the disagree-spans of one comment into hotspots.

Why — :func:`cluster_reasons` groups written reasons into themes, with a pluggable
text backend (:class:`TfidfLsaBackend` by default, :class:`SentenceEmbeddingBackend`
when the ``embeddings`` extra is installed; pick one with :func:`get_backend`).

Who — :func:`compute_opinion_groups` finds Polis-style opinion groups in a
:class:`VoteMatrix`, and :func:`crux_candidates` finds, for each claim, the claims
whose votes best predict votes on it.
"""

from cruxes.analysis.hotspots import Hotspot, HotspotReport, SpanVote, find_hotspots
from cruxes.analysis.opinion_groups import (
    ConsensusClaim,
    GroupAwareConsensusClaim,
    OpinionGroup,
    OpinionGroups,
    ParticipantPoint,
    RepresentativeClaim,
    compute_opinion_groups,
)
from cruxes.analysis.vote_prediction import CruxCandidate, crux_candidates
from cruxes.analysis.text_backends import (
    SentenceEmbeddingBackend,
    TextBackend,
    TfidfLsaBackend,
    get_backend,
)
from cruxes.analysis.themes import (
    CandidateInput,
    ReasonInput,
    Theme,
    ThemeReport,
    cluster_reasons,
)
from cruxes.analysis.vote_matrix import AGREE, DISAGREE, PASS, VoteMatrix

__all__ = [
    # where
    "SpanVote",
    "Hotspot",
    "HotspotReport",
    "find_hotspots",
    # why
    "ReasonInput",
    "CandidateInput",
    "Theme",
    "ThemeReport",
    "cluster_reasons",
    "TextBackend",
    "TfidfLsaBackend",
    "SentenceEmbeddingBackend",
    "get_backend",
    # who
    "AGREE",
    "DISAGREE",
    "PASS",
    "VoteMatrix",
    "ParticipantPoint",
    "RepresentativeClaim",
    "ConsensusClaim",
    "GroupAwareConsensusClaim",
    "OpinionGroup",
    "OpinionGroups",
    "compute_opinion_groups",
    "CruxCandidate",
    "crux_candidates",
]
