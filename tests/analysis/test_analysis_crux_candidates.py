"""Crux candidates: claims whose votes predict votes on another claim."""

import json

import numpy as np

from cruxes.analysis import VoteMatrix, crux_candidates


def planted_dependency(seed=0, n_voters=400, n_claims=12):
    """Random votes, except claim 7 copies claim 3 for 90% of voters and claim 9 takes
    the opposite of claim 3 for 80% of them; everyone votes on 3, 7, 9."""
    rng = np.random.default_rng(seed)
    votes = np.where(rng.random((n_voters, n_claims)) < 0.5, 1, -1)
    seen = rng.random((n_voters, n_claims)) < 0.6
    seen[:, [2, 6, 8]] = True
    column_a, column_b, column_c = 2, 6, 8
    copies = rng.random(n_voters) < 0.9
    votes[copies, column_b] = votes[copies, column_a]
    opposes = rng.random(n_voters) < 0.8
    votes[opposes, column_c] = -votes[opposes, column_a]
    rows, cols = np.nonzero(seen)
    return VoteMatrix.from_votes(rows + 1, cols + 1, votes[rows, cols])


def test_planted_dependency_ranks_first():
    matrix = planted_dependency()
    result = crux_candidates(matrix)

    top = result[7][0]
    assert top.predictor_claim_id == 3
    assert top.direction == "same"
    assert top.accuracy > 0.85 and 0.45 < top.baseline < 0.65
    assert top.support == matrix.n_voters
    assert "claim 3" in top.sentence and "claim 7" in top.sentence

    for_3 = [c.predictor_claim_id for c in result[3][:2]]
    assert set(for_3) == {7, 9}
    opposite = next(c for c in result[3] if c.predictor_claim_id == 9)
    assert opposite.direction == "opposite" and opposite.phi < -0.5
    assert json.loads(json.dumps([c.to_dict() for c in result[3]])) == [c.to_dict() for c in result[3]]


def test_ranking_scores_are_sorted_and_top_k_respected():
    result = crux_candidates(planted_dependency(seed=1), top_k=3)
    for candidates in result.values():
        assert len(candidates) <= 3
        scores = [c.score for c in candidates]
        assert scores == sorted(scores, reverse=True)
        assert all(c.claim_id != c.predictor_claim_id for c in candidates)


def test_min_support_is_respected():
    # claims 1 and 2 agree perfectly but only 4 voters voted on both
    voters = [1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 7, 8]
    claims = [1, 2, 1, 2, 1, 2, 1, 2, 1, 1, 2, 2]
    stances = [1, 1, -1, -1, 1, 1, -1, -1, 1, -1, 1, -1]
    matrix = VoteMatrix.from_votes(voters, claims, stances)
    assert crux_candidates(matrix, min_support=5)[1] == []
    found = crux_candidates(matrix, min_support=4)[1]
    assert [c.predictor_claim_id for c in found] == [2]
    assert found[0].support == 4 and found[0].phi == 1.0


def test_passes_are_not_co_votes_and_every_claim_is_a_key():
    matrix = VoteMatrix.from_votes(
        [1, 1, 2, 2, 3], [1, 2, 1, 2, 3], [1, 0, -1, 0, 1], all_claim_ids=[4]
    )
    result = crux_candidates(matrix, min_support=1)
    assert set(result) == {1, 2, 3, 4}
    assert all(candidates == [] for candidates in result.values())


def test_pair_tables_match_brute_force_counts():
    from cruxes.analysis.vote_prediction import _pair_tables

    matrix = planted_dependency(seed=3, n_voters=60, n_claims=10)
    dense = matrix.votes.toarray()
    both_agree, both_disagree, agree_disagree = _pair_tables(matrix)
    for a in range(matrix.n_claims):
        for b in range(matrix.n_claims):
            assert both_agree[a, b] == np.sum((dense[:, a] > 0) & (dense[:, b] > 0))
            assert both_disagree[a, b] == np.sum((dense[:, a] < 0) & (dense[:, b] < 0))
            assert agree_disagree[a, b] == np.sum((dense[:, a] > 0) & (dense[:, b] < 0))


def test_scoring_in_blocks_gives_the_same_answer(monkeypatch):
    import cruxes.analysis.vote_prediction as module

    matrix = planted_dependency(seed=2)
    whole = crux_candidates(matrix)
    monkeypatch.setattr(module, "SCORE_BLOCK_CELLS", 30)
    blocked = crux_candidates(matrix)
    assert {k: [c.to_dict() for c in v] for k, v in whole.items()} == {
        k: [c.to_dict() for c in v] for k, v in blocked.items()
    }
