"""One output shard: per sample the original image bytes, the caption and the pseudo labels.

Samples are written in key order with fixed tar metadata and canonical JSON, so the same inputs
and teacher give byte-identical shards on any machine. The file appears by rename only once
whole.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from dataclasses import dataclass
from typing import Sequence

from schemas.pseudo_label import PseudoLabels
from xpm.io.captioned_shards import add_tar_member

from pipeline.write.filesystem import atomic_write


@dataclass(frozen=True)
class LabelledSample:
    key: str
    image_bytes: bytes
    image_ext: str
    caption: str
    labels: PseudoLabels


@dataclass(frozen=True)
class ShardEntry:
    name: str
    sha256: str
    bytes: int
    samples: int

    def to_json(self) -> dict:
        return {"name": self.name, "sha256": self.sha256, "bytes": self.bytes, "samples": self.samples}


def canonical_json(data) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def write_output_shard(path: str, name: str, samples: Sequence[LabelledSample]) -> ShardEntry:
    digest = hashlib.sha256()
    size = 0

    class _Hashing:
        def __init__(self, stream):
            self._stream = stream

        def write(self, data):
            nonlocal size
            digest.update(data)
            size += len(data)
            return self._stream.write(data)

    with atomic_write(path) as stream:
        with tarfile.open(fileobj=_Hashing(stream), mode="w|", format=tarfile.USTAR_FORMAT) as tar:
            for sample in sorted(samples, key=lambda s: s.key):
                if not sample.key or "." in sample.key:
                    raise ValueError(f"sample key {sample.key!r} must be non-empty and hold no dot.")
                add_tar_member(tar, f"{sample.key}.{sample.image_ext}", sample.image_bytes)
                add_tar_member(tar, f"{sample.key}.txt", sample.caption.encode("utf-8"))
                add_tar_member(tar, f"{sample.key}.json", canonical_json(sample.labels.to_json()))
    return ShardEntry(name=name, sha256=digest.hexdigest(), bytes=size, samples=len(samples))
