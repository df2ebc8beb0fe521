"""Crux candidates: for each claim, the other claims whose votes best predict votes on it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from cruxes.analysis.vote_matrix import VoteMatrix


@dataclass(frozen=True)
class CruxCandidate:
    """Claim ``predictor_claim_id`` predicts votes on ``claim_id``.

    Over the ``support`` voters who cast agree/disagree on both: ``phi`` is the correlation
    of the two votes (+ same, - opposite), ``direction`` "same" or "opposite",
    ``accuracy`` how often the best rule "vote on claim = f(vote on predictor)" is right,
    ``baseline`` how often always guessing the claim's majority vote is right, ``score``
    the ranking score (|phi| shrunk towards 0 for small support), ``sentence`` a reading of
    all that for humans.
    """

    claim_id: int
    predictor_claim_id: int
    support: int
    phi: float
    direction: str
    accuracy: float
    baseline: float
    score: float
    sentence: str

    def to_dict(self) -> dict:
        return asdict(self)


def crux_candidates(
    matrix: VoteMatrix, *, min_support: int = 5, top_k: int = 5
) -> dict[int, list[CruxCandidate]]:
    """For every claim id, up to ``top_k`` other claims ranked by how well votes on them
    predict votes on it, among claims with at least ``min_support`` co-voters (voters who
    agreed or disagreed on both; passes are ignored). Claims with no candidate map to [].
    Vectorised: three sparse-times-dense products over voters, chunked to bound memory.
    """
    raise NotImplementedError
