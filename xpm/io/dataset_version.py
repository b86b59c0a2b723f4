"""Checking a dataset version's shards against its manifest, for any way of opening files (the
pipeline's ``xpm dataset verify`` goes through Beam FileSystems; the student trainer reads local
paths before it streams)."""

from __future__ import annotations

import hashlib
from typing import BinaryIO, Callable, Iterable

_BLOCK = 1 << 20


def first_bad_shard(
    entries: Iterable[dict], open_shard: Callable[[str], BinaryIO], exists: Callable[[str], bool]
) -> str | None:
    """The first manifest entry (``name``, ``sha256``, ``bytes``) whose shard is missing or whose
    bytes differ, described; None when all match."""
    for entry in entries:
        name = entry["name"]
        if not exists(name):
            return f"{name}: missing"
        digest, size = hashlib.sha256(), 0
        with open_shard(name) as stream:
            for block in iter(lambda: stream.read(_BLOCK), b""):
                digest.update(block)
                size += len(block)
        if size != entry["bytes"] or digest.hexdigest() != entry["sha256"]:
            return (f"{name}: sha256 {digest.hexdigest()[:12]} ({size} bytes), manifest says "
                    f"{entry['sha256'][:12]} ({entry['bytes']} bytes)")
    return None
