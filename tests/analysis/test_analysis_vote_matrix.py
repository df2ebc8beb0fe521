"""The VoteMatrix encoding and the package's purity."""

import subprocess
import sys
from pathlib import Path


from cruxes.analysis import VoteMatrix


def test_latest_vote_wins_and_pass_is_kept_apart():
    matrix = VoteMatrix.from_votes(
        voter_ids=[10, 10, 20, 20, 10],
        claim_ids=[1, 2, 1, 1, 1],
        stances=[1, 0, -1, 1, -1],
        all_claim_ids=[3],
    )
    assert matrix.voter_ids.tolist() == [10, 20]
    assert matrix.claim_ids.tolist() == [1, 2, 3]
    assert matrix.votes.toarray().tolist() == [[-1, 0, 0], [1, 0, 0]]
    assert matrix.passes.toarray().tolist() == [[0, 1, 0], [0, 0, 0]]
    assert matrix.votes_per_voter().tolist() == [2, 1]
    assert matrix.n_votes == 3
    assert matrix.seen().toarray().tolist() == [[1, 1, 0], [1, 0, 0]]


def test_a_pass_can_replace_a_vote():
    matrix = VoteMatrix.from_votes([1, 1], [5, 5], [1, 0])
    assert matrix.votes.nnz == 0 and matrix.passes.nnz == 1


def test_bad_stance_is_rejected():
    import pytest

    with pytest.raises(ValueError):
        VoteMatrix.from_votes([1], [1], [2])


def test_analysis_never_imports_django_or_the_app():
    package = Path(__file__).resolve().parents[2] / "cruxes" / "analysis"
    for source in package.glob("*.py"):
        text = source.read_text()
        assert "django" not in text.lower().replace("never imports django", ""), source
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith(("import cruxes", "from cruxes")):
                assert stripped.startswith(("from cruxes.analysis", "import cruxes.analysis")), line
    code = "import sys, cruxes.analysis; print(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=package.parents[1], check=True)
    assert out.stdout.strip() == "False"
