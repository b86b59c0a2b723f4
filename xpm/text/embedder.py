"""Word embeddings of class names, as the embedding head scores them (Eq. 1)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from xpm.resources import cache_root
from xpm.text.model_files import DEFAULT_TEXT_MODEL, model_hash, resolve_model_dir

# bert-input: the paper's choice (mean of the model's input word-piece embeddings);
# contextual: mean-pooled last hidden state, what sentence-transformers models are trained for.
EMBEDDING_MODES = ("bert-input", "contextual")
_CACHE_FORMAT = 1


def display_name(name: str) -> str:
    """WordNet lemmas join words with ``_``; the text model should see the words."""
    return " ".join(name.replace("_", " ").split())


class TextEmbedder:
    """Embeds class names to L2-normalised float32 rows; identical requests come from the cache.

    The cache key is the model id, the hash of the model's files, the mode and the names, so a
    changed model or vocabulary never reuses a stale matrix.
    """

    def __init__(
        self,
        model: str = DEFAULT_TEXT_MODEL,
        *,
        mode: str = "bert-input",
        cache_dir: Path | None = None,
        allow_download: bool = False,
        batch_size: int = 256,
    ):
        if mode not in EMBEDDING_MODES:
            raise ValueError(f"embedding mode {mode!r} is not one of {', '.join(EMBEDDING_MODES)}.")
        self.model_id = str(model)
        self.mode = mode
        self.model_dir = resolve_model_dir(self.model_id, allow_download=allow_download)
        self.model_hash = model_hash(self.model_dir)
        self._cache_dir = cache_dir or cache_root() / "embeddings"
        self._batch_size = batch_size
        self._tokenizer = None
        self._model = None

    def _load(self):
        if self._model is None:
            from transformers import AutoModel, AutoTokenizer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()

            self._tokenizer = AutoTokenizer.from_pretrained(self.model_dir, local_files_only=True)
            self._model = AutoModel.from_pretrained(self.model_dir, local_files_only=True).eval()
        return self._tokenizer, self._model

    def _cache_path(self, names: Sequence[str]) -> Path:
        key = json.dumps(
            {"format": _CACHE_FORMAT, "model": self.model_id, "hash": self.model_hash, "mode": self.mode, "names": list(names)}
        )
        return self._cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()}.npy"

    def embed(self, names: Sequence[str]) -> np.ndarray:
        """``[len(names), dim]`` float32, each row of unit length."""
        names = list(names)
        bad = [name for name in names if not isinstance(name, str) or not display_name(name)]
        if bad:
            raise ValueError(f"class names must be non-empty text; got {bad[:5]!r}.")
        if not names:
            return np.zeros((0, self.dim), dtype=np.float32)
        path = self._cache_path(names)
        if path.is_file():
            return np.load(path, allow_pickle=False)
        vectors = self.encode([display_name(name) for name in names])
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(staging, vectors, allow_pickle=False)
        os.replace(staging, path)
        return vectors

    @property
    def dim(self) -> int:
        return int(json.loads((self.model_dir / "config.json").read_text())["hidden_size"])

    def encode(self, texts: list[str]) -> np.ndarray:
        """``[len(texts), dim]`` unit rows of any texts, computed now and not cached: sentences
        come once, names again and again (:meth:`embed`)."""
        import torch

        tokenizer, model = self._load()
        rows = []
        with torch.inference_mode():
            for start in range(0, len(texts), self._batch_size):
                batch = texts[start : start + self._batch_size]
                if self.mode == "bert-input":
                    table = model.get_input_embeddings().weight
                    for text in batch:
                        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
                        rows.append(table[torch.tensor(ids)].mean(dim=0))
                else:
                    encoded = tokenizer(batch, padding=True, return_tensors="pt")
                    hidden = model(**encoded).last_hidden_state
                    mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                    rows.extend((hidden * mask).sum(dim=1) / mask.sum(dim=1))
        matrix = torch.stack(rows).float()
        return torch.nn.functional.normalize(matrix, dim=1).numpy().astype(np.float32)
