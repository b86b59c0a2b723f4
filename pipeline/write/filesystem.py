"""Atomic writes through Beam's FileSystems, so ``gs://`` and ``s3://`` outputs work where their
Beam extras are installed: write a hidden temporary beside the target, then rename."""

from __future__ import annotations

import contextlib
import uuid

from apache_beam.io.filesystems import FileSystems


def ensure_directory(directory: str) -> None:
    """Create ``directory`` unless it exists; parallel workers may race to create it."""
    if FileSystems.exists(directory):
        return
    try:
        FileSystems.mkdirs(directory)
    except OSError:
        if not FileSystems.exists(directory):
            raise


@contextlib.contextmanager
def atomic_write(path: str):
    directory, name = FileSystems.split(path)
    ensure_directory(directory)
    staging = FileSystems.join(directory, f".{name}.{uuid.uuid4().hex}.partial")
    stream = FileSystems.create(staging)
    try:
        yield stream
        stream.close()
        if FileSystems.exists(path):
            FileSystems.delete([path])
        FileSystems.rename([staging], [path])
    except BaseException:
        stream.close()
        if FileSystems.exists(staging):
            FileSystems.delete([staging])
        raise


def write_bytes(path: str, data: bytes) -> None:
    with atomic_write(path) as stream:
        stream.write(data)


def read_bytes(path: str) -> bytes:
    with FileSystems.open(path) as stream:
        return stream.read()


def local_copy(path: str) -> str:
    """A local file for ``path``: itself when local, else a copy in xpm's cache (a checkpoint on
    gs:// read by torch, which only opens local files)."""
    if "://" not in path:
        return path
    import hashlib

    from xpm.resources import cache_root

    target = cache_root() / "remote" / hashlib.sha256(path.encode()).hexdigest()[:16] / path.rsplit("/", 1)[-1]
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")  # workers may copy at once
        with FileSystems.open(path, compression_type="uncompressed") as source, open(staging, "wb") as sink:
            for block in iter(lambda: source.read(1 << 20), b""):
                sink.write(block)
        staging.replace(target)
    return str(target)
