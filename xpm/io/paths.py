"""Reading local or remote paths (``gs://``, ``s3://``, ...) through fsspec, which webdataset and
torch users already have: the trainers read dataset versions and shards without Apache Beam.
A remote scheme needs its fsspec package (gcsfs, s3fs) installed."""

from __future__ import annotations

import posixpath

import fsspec


def join(base: str, *parts: str) -> str:
    return posixpath.join(base, *parts)


def _filesystem(path: str):
    return fsspec.core.url_to_fs(path)


def exists(path: str) -> bool:
    fs, inner = _filesystem(path)
    return fs.exists(inner)


def glob(pattern: str) -> list[str]:
    """Sorted matches of ``pattern``, spelt as ``pattern`` is (with its scheme, if any)."""
    fs, inner = _filesystem(pattern)
    matches = fs.glob(inner)
    return sorted(fs.unstrip_protocol(match) if "://" in pattern else match for match in matches)


def read_bytes(path: str) -> bytes:
    with fsspec.open(path, "rb") as stream:
        return stream.read()
