"""The voter × claim matrix that the "who" lens works on.

Encoding (chosen so that sparse arithmetic can never silently drop a pass vote):

* ``votes`` — CSR, float32, shape (n_voters, n_claims), stored values are only
  +1 (agree) and -1 (disagree). Pass/unsure votes and missing votes are both absent
  from ``votes``.
* ``passes`` — CSR, float32, same shape, 1.0 wherever the voter passed / was unsure.
  A voter has "seen" a claim when the entry is present in ``votes`` or ``passes``.

Scipy drops explicit zeros in many operations, so storing pass as an explicit 0 in one
matrix would be fragile; two matrices keep the three states apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

AGREE = 1
DISAGREE = -1
PASS = 0


@dataclass(frozen=True)
class VoteMatrix:
    """Voters × claims votes. Row i belongs to ``voter_ids[i]``, column j to ``claim_ids[j]``."""

    voter_ids: np.ndarray
    claim_ids: np.ndarray
    votes: sp.csr_matrix
    passes: sp.csr_matrix

    def __post_init__(self) -> None:
        shape = (len(self.voter_ids), len(self.claim_ids))
        if self.votes.shape != shape or self.passes.shape != shape:
            raise ValueError(
                f"votes {self.votes.shape} and passes {self.passes.shape} must both be {shape}"
            )

    @property
    def n_voters(self) -> int:
        return len(self.voter_ids)

    @property
    def n_claims(self) -> int:
        return len(self.claim_ids)

    @property
    def n_votes(self) -> int:
        """Number of (voter, claim) cells with any vote, pass included."""
        return int(self.votes.nnz + self.passes.nnz)

    @classmethod
    def from_votes(
        cls,
        voter_ids: Sequence[int] | np.ndarray,
        claim_ids: Sequence[int] | np.ndarray,
        stances: Sequence[int] | np.ndarray,
        *,
        all_voter_ids: Iterable[int] | None = None,
        all_claim_ids: Iterable[int] | None = None,
    ) -> "VoteMatrix":
        """Build the matrix from parallel arrays of (voter id, claim id, stance).

        ``stances`` are +1 agree, -1 disagree, 0 pass/unsure. When the same
        (voter, claim) pair appears more than once, the LAST occurrence wins, so pass
        votes in time order (e.g. a Polis ``votes.csv`` event log sorted by timestamp).
        ``all_voter_ids`` / ``all_claim_ids`` add rows / columns with no votes (e.g.
        claims nobody has voted on yet); by default the ids are the sorted unique ids
        seen in the votes.
        """
        voter_arr = np.asarray(voter_ids, dtype=np.int64).ravel()
        claim_arr = np.asarray(claim_ids, dtype=np.int64).ravel()
        stance_arr = np.asarray(stances, dtype=np.int64).ravel()
        if not (len(voter_arr) == len(claim_arr) == len(stance_arr)):
            raise ValueError("voter_ids, claim_ids and stances must have the same length")
        if np.any((stance_arr < -1) | (stance_arr > 1)):
            raise ValueError("stances must be -1, 0 or +1")

        voter_universe = np.unique(
            np.concatenate([voter_arr, np.fromiter(all_voter_ids or (), dtype=np.int64)])
        )
        claim_universe = np.unique(
            np.concatenate([claim_arr, np.fromiter(all_claim_ids or (), dtype=np.int64)])
        )
        rows = np.searchsorted(voter_universe, voter_arr)
        cols = np.searchsorted(claim_universe, claim_arr)

        # Keep the last vote per cell: unique over the reversed key list returns the
        # first index in reversed order, i.e. the last in original order.
        cell_keys = rows * len(claim_universe) + cols
        _, reversed_first = np.unique(cell_keys[::-1], return_index=True)
        keep = len(cell_keys) - 1 - reversed_first
        rows, cols, stance_arr = rows[keep], cols[keep], stance_arr[keep]

        return cls.from_cells(voter_universe, claim_universe, rows, cols, stance_arr)

    @classmethod
    def from_cells(
        cls,
        voter_ids: np.ndarray,
        claim_ids: np.ndarray,
        rows: np.ndarray,
        cols: np.ndarray,
        stances: np.ndarray,
    ) -> "VoteMatrix":
        """Build from row / column indices that are already unique per cell."""
        shape = (len(voter_ids), len(claim_ids))
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        stances = np.asarray(stances)
        is_pass = stances == 0
        votes = _csr_from_unique_cells(
            rows[~is_pass], cols[~is_pass], stances[~is_pass].astype(np.float32), shape
        )
        passes = _csr_from_unique_cells(
            rows[is_pass], cols[is_pass], np.ones(int(is_pass.sum()), dtype=np.float32), shape
        )
        return cls(
            voter_ids=np.asarray(voter_ids, dtype=np.int64),
            claim_ids=np.asarray(claim_ids, dtype=np.int64),
            votes=votes,
            passes=passes,
        )

    def seen(self) -> sp.csr_matrix:
        """1.0 wherever the voter cast any vote (agree, disagree or pass)."""
        seen = abs(self.votes) + self.passes
        seen.data[:] = 1.0
        return seen.tocsr()

    def votes_per_voter(self) -> np.ndarray:
        """Number of claims each voter voted on, pass included."""
        return np.diff(self.votes.indptr) + np.diff(self.passes.indptr)


def _csr_from_unique_cells(rows, cols, values, shape) -> sp.csr_matrix:
    """CSR straight from unique (row, col) cells: one sort, no duplicate summing pass."""
    order = np.argsort(rows * shape[1] + cols, kind="stable")
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    index_type = np.int32 if max(shape[1], len(rows)) < 2**31 else np.int64
    matrix = sp.csr_matrix(
        (values[order], cols[order].astype(index_type), indptr.astype(index_type)), shape=shape
    )
    matrix.has_sorted_indices = True
    return matrix
