"""Crux candidates: for each claim, the other claims whose votes best predict votes on it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from cruxes.analysis.vote_matrix import VoteMatrix

# score = |phi| * support / (support + SUPPORT_SHRINK): a perfect correlation seen on 5
# co-voters ranks below a strong one seen on hundreds.
SUPPORT_SHRINK = 10.0
# Rows of the vote matrix densified at a time (rows x claims float32), to bound memory.
CHUNK_CELLS = 8_000_000


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
    Vectorised: the 2x2 tables of every claim pair come from three matrix products
    (agree^T agree, disagree^T disagree, agree^T disagree), computed over chunks of voters
    densified to float32 so that BLAS does the work; counts stay exact below 2^24.
    """
    both_agree, both_disagree, agree_disagree = _pair_tables(matrix)
    # table[a][b] for target claim A (rows) and predictor B (columns)
    n_pp = both_agree
    n_mm = both_disagree
    n_pm = agree_disagree  # agree on A, disagree on B
    n_mp = agree_disagree.T  # disagree on A, agree on B
    support = n_pp + n_mm + n_pm + n_mp
    a_agree, a_disagree = n_pp + n_pm, n_mp + n_mm
    b_agree, b_disagree = n_pp + n_mp, n_pm + n_mm
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.sqrt(a_agree * a_disagree * b_agree * b_disagree)
        phi = np.where(spread > 0, (n_pp * n_mm - n_pm * n_mp) / spread, 0.0)
    score = np.abs(phi) * support / (support + SUPPORT_SHRINK)
    eligible = (support >= max(min_support, 1)) & (spread > 0)
    np.fill_diagonal(eligible, False)
    score = np.where(eligible, score, -np.inf)

    claim_ids = matrix.claim_ids
    result: dict[int, list[CruxCandidate]] = {int(c): [] for c in claim_ids}
    if matrix.n_claims < 2 or top_k <= 0:
        return result
    keep = min(top_k, matrix.n_claims - 1)
    best = np.argpartition(-score, keep - 1, axis=1)[:, :keep]
    for a in range(matrix.n_claims):
        ranked = sorted(best[a], key=lambda b: (-score[a, b], -support[a, b], b))
        for b in ranked:
            if not np.isfinite(score[a, b]):
                continue
            n = float(support[a, b])
            accuracy = (max(n_pp[a, b], n_mp[a, b]) + max(n_pm[a, b], n_mm[a, b])) / n
            baseline = max(a_agree[a, b], a_disagree[a, b]) / n
            direction = "same" if phi[a, b] > 0 else "opposite"
            result[int(claim_ids[a])].append(
                CruxCandidate(
                    claim_id=int(claim_ids[a]),
                    predictor_claim_id=int(claim_ids[b]),
                    support=int(n),
                    phi=round(float(phi[a, b]), 4),
                    direction=direction,
                    accuracy=round(float(accuracy), 4),
                    baseline=round(float(baseline), 4),
                    score=round(float(score[a, b]), 4),
                    sentence=_sentence(
                        int(claim_ids[a]), int(claim_ids[b]), int(n), accuracy, baseline, direction
                    ),
                )
            )
    return result


def _pair_tables(matrix: VoteMatrix):
    """Dense (claims x claims) float64 counts: both agree, both disagree, agree-then-disagree."""
    n_claims = matrix.n_claims
    both_agree = np.zeros((n_claims, n_claims), dtype=np.float32)
    both_disagree = np.zeros_like(both_agree)
    agree_disagree = np.zeros_like(both_agree)
    votes = matrix.votes
    rows_per_chunk = max(1, CHUNK_CELLS // max(n_claims, 1))
    for start in range(0, matrix.n_voters, rows_per_chunk):
        chunk = votes[start : start + rows_per_chunk].toarray()
        agree = (chunk > 0).astype(np.float32)
        disagree = (chunk < 0).astype(np.float32)
        both_agree += agree.T @ agree
        both_disagree += disagree.T @ disagree
        agree_disagree += agree.T @ disagree
    return both_agree.astype(np.float64), both_disagree.astype(np.float64), agree_disagree.astype(np.float64)


def _sentence(claim_id, predictor_id, support, accuracy, baseline, direction):
    tendency = "the same way" if direction == "same" else "opposite ways"
    return (
        f"Knowing someone's vote on claim {predictor_id} predicts their vote on claim "
        f"{claim_id} {accuracy:.0%} of the time (vs {baseline:.0%} by guessing the majority "
        f"vote), over {support} people who voted on both; votes tend to go {tendency}."
    )
