"""Benchmark: our opinion-group pipeline vs red-dwarf (the Python Polis pipeline).

Same synthetic matrices for both (3 planted groups, 10% of cells filled), each pipeline
run in its own subprocess so that wall time and peak memory (ru_maxrss of that process)
are measured alike. red-dwarf runs in a separate venv:

    python3 -m venv /work/bench-venv && /work/bench-venv/bin/pip install red-dwarf
    .venv/bin/python benchmarks/opinion_groups.py --reddwarf-python /work/bench-venv/bin/python

(--reddwarf-python defaults to $REDDWARF_PYTHON, else /work/bench-venv/bin/python.)
Timed: building the vote matrix from (voter, claim, vote) cells plus the whole pipeline
(red-dwarf: its documented ``run_pipeline(votes=[{participant_id, statement_id, vote,
modified}, ...])``; the list of vote dicts is built before the clock starts, but it does
count in red-dwarf's peak memory, so "input_mb", the memory before the call, is printed).
The last line is for the largest size: ``speedup=<x> memory_ratio=<ours/theirs> ari=<ours>``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = ["1000x100", "10000x500", "50000x1000"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def worker_ours(cells_path: str, labels_path: str) -> dict:
    sys.path.insert(0, str(REPO_ROOT))
    from cruxes.analysis import VoteMatrix, compute_opinion_groups

    cells = np.load(cells_path)
    input_mb = current_rss_mb()
    started = time.perf_counter()
    matrix = VoteMatrix.from_cells(
        cells["voter_ids"], cells["claim_ids"], cells["rows"], cells["cols"], cells["values"]
    )
    result = compute_opinion_groups(matrix, seed=0)
    seconds = time.perf_counter() - started
    group_of = result.group_of()
    labels = np.array([group_of.get(int(v), -1) for v in cells["voter_ids"]])
    np.save(labels_path, labels)
    return {"seconds": seconds, "peak_mb": peak_rss_mb(), "input_mb": input_mb, "k": result.k}


def worker_reddwarf(cells_path: str, labels_path: str) -> dict:
    from reddwarf.implementations.polis import run_pipeline

    cells = np.load(cells_path)
    voter_ids, claim_ids = cells["voter_ids"], cells["claim_ids"]
    votes = [
        {"participant_id": int(voter_ids[r]), "statement_id": int(claim_ids[c]), "vote": int(v), "modified": 0}
        for r, c, v in zip(cells["rows"].tolist(), cells["cols"].tolist(), cells["values"].tolist())
    ]
    input_mb = current_rss_mb()
    started = time.perf_counter()
    result = run_pipeline(votes=votes, random_state=0)
    seconds = time.perf_counter() - started
    cluster_ids = result.participants_df["cluster_id"]
    labels = np.array(
        [-1 if (v not in cluster_ids.index or cluster_ids.isna()[v]) else int(cluster_ids[v]) for v in voter_ids]
    )
    np.save(labels_path, labels)
    k = int(len(set(labels[labels >= 0].tolist())))
    return {"seconds": seconds, "peak_mb": peak_rss_mb(), "input_mb": input_mb, "k": k}


def run_worker(python: str, which: str, cells_path: str, labels_path: str) -> dict:
    completed = subprocess.run(
        [python, __file__, "--worker", which, cells_path, labels_path],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{which} worker failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def ari_on_clustered(truth: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.metrics import adjusted_rand_score

    clustered = labels >= 0
    return float(adjusted_rand_score(truth[clustered], labels[clustered]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reddwarf-python", default=os.environ.get("REDDWARF_PYTHON", "/work/bench-venv/bin/python"))
    parser.add_argument("--sizes", nargs="+", default=DEFAULT_SIZES, help="VOTERSxCLAIMS, e.g. 50000x1000")
    parser.add_argument("--fill", type=float, default=0.1)
    parser.add_argument("--agreement", type=float, default=0.85)
    parser.add_argument("--skip-reddwarf", action="store_true")
    arguments = parser.parse_args()

    sys.path.insert(0, str(REPO_ROOT))
    from cruxes.analysis.synthetic import planted_vote_matrix

    summary = None
    with tempfile.TemporaryDirectory() as scratch:
        for size in arguments.sizes:
            n_voters, n_claims = (int(part) for part in size.lower().split("x"))
            matrix, truth = planted_vote_matrix(
                n_voters, n_claims, fill=arguments.fill, agreement=arguments.agreement, seed=0
            )
            votes = matrix.votes.tocoo()
            passes = matrix.passes.tocoo()
            cells_path = os.path.join(scratch, f"{size}.npz")
            np.savez(
                cells_path,
                voter_ids=matrix.voter_ids,
                claim_ids=matrix.claim_ids,
                rows=np.concatenate([votes.row, passes.row]),
                cols=np.concatenate([votes.col, passes.col]),
                values=np.concatenate([votes.data, np.zeros(passes.nnz)]).astype(np.int64),
            )
            n_votes = matrix.n_votes
            del matrix, votes, passes

            ours_labels = os.path.join(scratch, f"{size}-ours.npy")
            ours = run_worker(sys.executable, "ours", cells_path, ours_labels)
            ours["ari"] = ari_on_clustered(truth, np.load(ours_labels))
            print(
                f"{size} ({n_votes:,} votes) ours: {ours['seconds']:.2f} s, peak {ours['peak_mb']:.0f} MB "
                f"(input {ours['input_mb']:.0f} MB), k={ours['k']}, ARI={ours['ari']:.4f}",
                flush=True,
            )
            if arguments.skip_reddwarf:
                continue
            theirs_labels = os.path.join(scratch, f"{size}-reddwarf.npy")
            theirs = run_worker(arguments.reddwarf_python, "reddwarf", cells_path, theirs_labels)
            theirs["ari"] = ari_on_clustered(truth, np.load(theirs_labels))
            speedup = theirs["seconds"] / ours["seconds"]
            memory_ratio = ours["peak_mb"] / theirs["peak_mb"]
            print(
                f"{size} red-dwarf: {theirs['seconds']:.2f} s, peak {theirs['peak_mb']:.0f} MB "
                f"(input {theirs['input_mb']:.0f} MB), k={theirs['k']}, ARI={theirs['ari']:.4f}\n"
                f"{size} speedup {speedup:.1f}x, memory ratio (ours/theirs) {memory_ratio:.3f}",
                flush=True,
            )
            summary = f"speedup={speedup:.1f} memory_ratio={memory_ratio:.3f} ari={ours['ari']:.4f}"
    if summary:
        print(summary)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        _, _, which, cells, labels_out = sys.argv
        worker = worker_ours if which == "ours" else worker_reddwarf
        print(json.dumps(worker(cells, labels_out)))
    else:
        main()
