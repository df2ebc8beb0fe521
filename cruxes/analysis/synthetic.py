"""Synthetic vote matrices with planted opinion groups, for tests and benchmarks."""

from __future__ import annotations

import numpy as np

from cruxes.analysis.vote_matrix import VoteMatrix


def planted_vote_matrix(
    n_voters: int,
    n_claims: int,
    *,
    n_groups: int = 3,
    fill: float = 0.1,
    agreement: float = 0.85,
    pass_rate: float = 0.05,
    seed: int = 0,
) -> tuple[VoteMatrix, np.ndarray]:
    """A (VoteMatrix, true group per voter) pair.

    Each group has a random agree/disagree stance on every claim; each voter votes on a
    random ``fill`` share of the claims, passes with probability ``pass_rate``, and
    otherwise takes the group's stance with probability ``agreement`` (else the opposite).
    """
    rng = np.random.default_rng(seed)
    true_groups = rng.integers(0, n_groups, size=n_voters)
    stances = rng.choice(np.array([-1, 1], dtype=np.int8), size=(n_groups, n_claims))

    n_cells = n_voters * n_claims
    wanted = int(round(fill * n_cells))
    # draw a few extra cell numbers, drop repeats, keep the first `wanted` in random order
    cells = rng.integers(0, n_cells, size=int(wanted * 1.15) + 16, dtype=np.int64)
    _, first = np.unique(cells, return_index=True)
    cells = cells[np.sort(first)][:wanted]
    rows, cols = cells // n_claims, cells % n_claims

    values = stances[true_groups[rows], cols].astype(np.int64)
    flip = rng.random(len(cells)) > agreement
    values[flip] *= -1
    values[rng.random(len(cells)) < pass_rate] = 0
    matrix = VoteMatrix.from_cells(
        np.arange(1, n_voters + 1, dtype=np.int64),
        np.arange(1, n_claims + 1, dtype=np.int64),
        rows,
        cols,
        values,
    )
    return matrix, true_groups
