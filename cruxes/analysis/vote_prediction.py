"""Crux candidates: for each claim, the other claims whose votes best predict votes on it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from cruxes.analysis.vote_matrix import VoteMatrix

# score = |phi| * support / (support + SUPPORT_SHRINK): a perfect correlation seen on 5
# co-voters ranks below a strong one seen on hundreds.
SUPPORT_SHRINK = 10.0
# Target claims scored at a time, as rows x claims cells.
SCORE_BLOCK_CELLS = 1_000_000


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
    Vectorised: the 2x2 tables of every claim pair come from three sparse matrix products
    (agree^T agree, disagree^T disagree, agree^T disagree); float32 counts stay exact
    below 2^24 co-voters. Memory: three dense claims x claims float32 tables (12 MB at
    1,000 claims), then scoring in blocks of target claims.
    """
    both_agree, both_disagree, agree_disagree = _pair_tables(matrix)
    claim_ids = matrix.claim_ids
    result: dict[int, list[CruxCandidate]] = {int(c): [] for c in claim_ids}
    if matrix.n_claims < 2 or top_k <= 0:
        return result
    keep = min(top_k, matrix.n_claims - 1)
    # score a block of target claims at a time: ~10 float64 temporaries of block x claims
    rows_per_block = max(1, SCORE_BLOCK_CELLS // matrix.n_claims)
    for first in range(0, matrix.n_claims, rows_per_block):
        targets = np.arange(first, min(first + rows_per_block, matrix.n_claims))
        # table[a][b] for target claim A (rows) and predictor B (columns)
        n_pp = both_agree[targets].astype(np.float64)
        n_mm = both_disagree[targets].astype(np.float64)
        n_pm = agree_disagree[targets].astype(np.float64)  # agree on A, disagree on B
        n_mp = agree_disagree[:, targets].T.astype(np.float64)  # disagree on A, agree on B
        support = n_pp + n_mm + n_pm + n_mp
        a_agree, a_disagree = n_pp + n_pm, n_mp + n_mm
        b_agree, b_disagree = n_pp + n_mp, n_pm + n_mm
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = np.sqrt(a_agree * a_disagree * b_agree * b_disagree)
            phi = np.where(spread > 0, (n_pp * n_mm - n_pm * n_mp) / spread, 0.0)
        score = np.abs(phi) * support / (support + SUPPORT_SHRINK)
        eligible = (support >= max(min_support, 1)) & (spread > 0)
        eligible[np.arange(len(targets)), targets] = False  # a claim never predicts itself
        score = np.where(eligible, score, -np.inf)
        best = np.argpartition(-score, keep - 1, axis=1)[:, :keep]
        for row, a in enumerate(targets):
            ranked = sorted(best[row], key=lambda b: (-score[row, b], -support[row, b], b))
            for b in ranked:
                if not np.isfinite(score[row, b]):
                    continue
                n = float(support[row, b])
                accuracy = (max(n_pp[row, b], n_mp[row, b]) + max(n_pm[row, b], n_mm[row, b])) / n
                baseline = max(a_agree[row, b], a_disagree[row, b]) / n
                direction = "same" if phi[row, b] > 0 else "opposite"
                result[int(claim_ids[a])].append(
                    CruxCandidate(
                        claim_id=int(claim_ids[a]),
                        predictor_claim_id=int(claim_ids[b]),
                        support=int(n),
                        phi=round(float(phi[row, b]), 4),
                        direction=direction,
                        accuracy=round(float(accuracy), 4),
                        baseline=round(float(baseline), 4),
                        score=round(float(score[row, b]), 4),
                        sentence=_sentence(
                            int(claim_ids[a]), int(claim_ids[b]), int(n), accuracy, baseline, direction
                        ),
                    )
                )
    return result


def _pair_tables(matrix: VoteMatrix):
    """Dense (claims x claims) float32 counts: both agree, both disagree, agree-then-disagree.

    Sparse x sparse products: their cost is the sum over voters of (votes cast)^2, about
    1000 times less than dense products when voters have seen ~10% of the claims.
    """
    votes = matrix.votes
    agree = votes.copy()
    agree.data = (agree.data > 0).astype(np.float32)
    agree.eliminate_zeros()
    disagree = votes.copy()
    disagree.data = (disagree.data < 0).astype(np.float32)
    disagree.eliminate_zeros()
    agree_t = agree.T.tocsr()
    both_agree = (agree_t @ agree).toarray()
    agree_disagree = (agree_t @ disagree).toarray()
    del agree_t
    both_disagree = (disagree.T.tocsr() @ disagree).toarray()
    return both_agree, both_disagree, agree_disagree


def _sentence(claim_id, predictor_id, support, accuracy, baseline, direction):
    tendency = "the same way" if direction == "same" else "opposite ways"
    return (
        f"Knowing someone's vote on claim {predictor_id} predicts their vote on claim "
        f"{claim_id} {accuracy:.0%} of the time (vs {baseline:.0%} by guessing the majority "
        f"vote), over {support} people who voted on both; votes tend to go {tendency}."
    )
