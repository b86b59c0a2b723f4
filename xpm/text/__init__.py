"""Class names -> word embeddings v_o (paper section 3.1), cached by content hash."""

import importlib

# Resolved on first use: the ``xpm`` parser imports xpm.text.cli, hence this package, and need
# not load numpy with the embedder.
_SOURCES = {"EMBEDDING_MODES": "xpm.text.embedder", "TextEmbedder": "xpm.text.embedder"}

__all__ = list(_SOURCES)


def __getattr__(name: str):
    if name not in _SOURCES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_SOURCES[name]), name)
