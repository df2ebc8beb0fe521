"""Benchmark: time to cluster 10,000 reasons into themes, per text backend.

The reasons are built from the hand-written paraphrases in
tests/analysis/data/reasons.json (8 themes x 8 paraphrases) with random openers and
closers, so the true theme of each is known and the ARI is printed too.

    .venv/bin/python benchmarks/reason_themes.py [--n 10000] [--backends tfidf embedding]

The embedding backend needs the 'embeddings' extra; the model load is timed separately.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from sklearn.metrics import adjusted_rand_score  # noqa: E402

from cruxes.analysis import ReasonInput, SentenceEmbeddingBackend, cluster_reasons, get_backend  # noqa: E402

OPENERS = ["", "Honestly, ", "I disagree because ", "My reason: ", "Mainly this: ", "In short, ", "I think "]
CLOSERS = ["", " That's my main objection.", " Happy to be convinced otherwise.", " (just my view)", " This matters."]


def generate(n: int, seed: int = 0) -> tuple[list[ReasonInput], list[int]]:
    themes = json.loads((REPO_ROOT / "tests" / "analysis" / "data" / "reasons.json").read_text())["themes"]
    rng = random.Random(seed)
    reasons, truth = [], []
    for index in range(n):
        theme = rng.randrange(len(themes))
        words = rng.choice(themes[theme]["paraphrases"]).split()
        # drop a word or two so that most texts are distinct (the embedding backend
        # caches by text, and real reasons rarely repeat word for word)
        for _ in range(rng.randrange(3)):
            if len(words) > 6:
                del words[rng.randrange(len(words))]
        text = " ".join(words)
        text = rng.choice(OPENERS) + text[0].lower() + text[1:] + rng.choice(CLOSERS)
        reasons.append(ReasonInput(index + 1, text))
        truth.append(theme)
    return reasons, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--backends", nargs="+", default=["tfidf", "embedding"])
    arguments = parser.parse_args()
    reasons, truth = generate(arguments.n)
    print(f"{len(reasons):,} reasons, {len({r.text for r in reasons}):,} distinct texts")
    for name in arguments.backends:
        if name == "embedding" and not SentenceEmbeddingBackend.is_available():
            print("embedding: skipped (install the 'embeddings' extra)")
            continue
        backend = get_backend(name)
        load_seconds = 0.0
        if name == "embedding":
            started = time.perf_counter()
            SentenceEmbeddingBackend.model()
            load_seconds = time.perf_counter() - started
        if name == "embedding":
            SentenceEmbeddingBackend.clear_cache()
        started = time.perf_counter()
        report = cluster_reasons(reasons, backend=backend)
        seconds = time.perf_counter() - started
        label_of = {}
        for index, theme in enumerate(report.themes):
            for member in theme.member_ids:
                label_of[member] = -member if theme.is_other else index
        ari = adjusted_rand_score(truth, [label_of[r.id] for r in reasons])
        themes = [t for t in report.themes if not t.is_other]
        other = sum(t.count for t in report.themes if t.is_other)
        print(
            f"{name}: {arguments.n:,} reasons in {seconds:.1f} s"
            + (f" (+ {load_seconds:.1f} s model load)" if load_seconds else "")
            + f", {len(themes)} themes (+ {other} in other), ARI {ari:.3f}"
        )
        for theme in themes[:10]:
            print(f"    {theme.count:5d}  {theme.label}")


if __name__ == "__main__":
    main()
