"""Embeddings of caption nouns, memoised per worker: each word is embedded once."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from xpm.text.embedder import TextEmbedder


class WordEmbeddings:
    def __init__(self, embedder: TextEmbedder):
        self._embedder = embedder
        self._known: dict[str, np.ndarray] = {}

    def __call__(self, words: Sequence[str]) -> np.ndarray:
        missing = sorted({w for w in words if w not in self._known})
        if missing:
            for word, vector in zip(missing, self._embedder.embed(missing)):
                self._known[word] = vector
        if not words:
            return np.zeros((0, self._embedder.dim), dtype=np.float32)
        return np.stack([self._known[w] for w in words])
