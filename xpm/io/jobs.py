"""What a long job needs of the place it writes, checked before any work: a folder it can write
with room for its output, one launch at a time per output, and an interruption that says what it
kept. Local paths only: an object store (``gs://``, ``s3://``) tells its permissions on the
first write and has no locks."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from xpm.config import ConfigError


class Interrupted(KeyboardInterrupt):
    """Ctrl-C in a job that resumes, with what it kept (``3 of 10 shards``) for the line the
    command prints."""

    def __init__(self, kept: str):
        super().__init__(kept)
        self.kept = kept


def _is_remote(path: str | Path) -> bool:
    return "://" in str(path)


def _size(count: float) -> str:
    if count < 1000:
        return f"{count:.0f} bytes"
    for unit in ("KB", "MB", "GB", "TB"):
        count /= 1000
        if count < 1000 or unit == "TB":
            return f"{count:.1f} {unit}"


def check_writable(path: str | Path, option: str, *, needs_bytes: int = 0) -> None:
    """An error naming ``option`` unless files can be created at ``path`` (a folder, made when
    missing) and its file system has ``needs_bytes`` free: found before the work, not after it."""
    if _is_remote(path):
        return
    existing = Path(path).absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{option} {path}: {existing} is a file; give a folder.")
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".xpm-write-check-"):
            pass
    except OSError as error:
        raise ConfigError(f"{option} {path}: cannot write in {existing} ({error.strerror}); "
                          "choose a folder you can write to.") from None
    free = shutil.disk_usage(existing).free
    if free < needs_bytes:
        raise ConfigError(f"{option} {path}: the output needs about {_size(needs_bytes)} and {existing} has "
                          f"{_size(free)} free; free some space or choose another folder.")


def lock_holder(lock: Path) -> str:
    """Who holds ``lock``, as its holder wrote it: ``pid 123, host h``."""
    try:
        holder = json.loads(lock.read_text())
        return f"pid {holder['pid']}, host {holder['host']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "pid and host unknown"


def is_locked(lock: Path) -> bool:
    """Whether a running job holds ``lock`` now."""
    try:
        descriptor = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


@contextmanager
def exclusive(lock: str | Path, *, busy: Callable[[str], str], wait: bool = False,
              waiting: Callable[[str], None] = lambda holder: None) -> Iterator[None]:
    """Hold the lock file ``lock`` for the ``with`` block. Held by another process: a
    :class:`ConfigError` with ``busy(holder)``, or with ``wait`` a blocking wait announced by
    ``waiting(holder)``. The kernel releases a ``flock`` when its process ends, however it ends
    (SIGKILL included), so a killed job never leaves a lock behind."""
    if _is_remote(lock):
        yield
        return
    lock = Path(lock)
    lock.parent.mkdir(parents=True, exist_ok=True)
    while True:
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = lock_holder(lock)
            if not wait:
                os.close(descriptor)
                raise ConfigError(busy(holder)) from None
            waiting(holder)
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            # The holder removes the file on release: a lock taken on a removed file is no lock.
            if os.stat(lock).st_ino == os.fstat(descriptor).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(descriptor)
    try:
        os.ftruncate(descriptor, 0)
        os.write(descriptor, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode())
        yield
    finally:
        lock.unlink(missing_ok=True)
        os.close(descriptor)
