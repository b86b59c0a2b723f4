"""Where xpm keeps what it derives once and reuses: WordNet for nltk, embeddings, model hashes."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "XPM_CACHE_DIR"


def cache_root() -> Path:
    """``$XPM_CACHE_DIR``, else ``$XDG_CACHE_HOME/xpm``, else ``~/.cache/xpm``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "xpm"
