"""Files that appear whole or not at all: write beside the target, then rename over it."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


@contextmanager
def atomic_output(path: str | Path, mode: str = "wb"):
    """Yield a stream to a hidden file next to ``path``; rename it to ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    # mkstemp creates 0600; the finished file gets the permissions any new file would.
    os.chmod(staging, 0o666 & ~_UMASK)
    try:
        with os.fdopen(handle, mode) as stream:
            yield stream
        os.replace(staging, path)
    except BaseException:
        if os.path.exists(staging):
            os.unlink(staging)
        raise


def write_text_atomically(path: str | Path, text: str) -> None:
    with atomic_output(path, "w") as stream:
        stream.write(text)
