"""Writing captioned-image shards in img2dataset's layout (``schemas.captioned_shard``).

Tar members carry fixed metadata (mtime 0, root owner, mode 0644) and samples are written in
the order given, so the same samples give the same bytes on any machine.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from schemas.captioned_shard import (
    CAPTION_EXT,
    IMAGE_EXT,
    META_EXT,
    PARQUET_SCHEMA,
    shard_name,
    stats_record,
)
from xpm.io.atomic import atomic_output, write_text_atomically


def add_tar_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    """Append ``data`` as ``name`` with metadata that does not depend on when or who wrote it."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    tar.addfile(info, io.BytesIO(data))


@dataclass
class CaptionedSample:
    key: str
    image: bytes
    caption: str
    width: int
    height: int
    url: str
    image_ext: str = IMAGE_EXT


@dataclass
class FailedSample:
    """A row whose image could not be had: recorded in the parquet (img2dataset's status), not in the tar."""

    key: str
    caption: str
    url: str
    error: str


def write_captioned_shard(directory: Path, shard: int, samples: list[CaptionedSample], failures: list[FailedSample] = ()) -> Path:
    """Write ``NNNNN.tar``, ``NNNNN.parquet`` and ``NNNNN_stats.json``; the tar is renamed in last."""
    rows = [
        {"key": f.key, "url": f.url, "caption": f.caption, "status": "failed_to_download", "error_message": f.error,
         "width": None, "height": None, "original_width": None, "original_height": None, "sha256": None}
        for f in failures
    ]
    directory.mkdir(parents=True, exist_ok=True)
    tar_path = directory / f"{shard_name(shard)}.tar"
    with atomic_output(tar_path) as stream:
        with tarfile.open(fileobj=stream, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            for sample in samples:
                if not sample.key or "." in sample.key:
                    raise ValueError(f"sample key {sample.key!r} must be non-empty and hold no dot.")
                row = {
                    "key": sample.key,
                    "url": sample.url,
                    "caption": sample.caption,
                    "status": "success",
                    "error_message": None,
                    "width": sample.width,
                    "height": sample.height,
                    "original_width": sample.width,
                    "original_height": sample.height,
                    "sha256": hashlib.sha256(sample.image).hexdigest(),
                }
                rows.append(row)
                add_tar_member(tar, f"{sample.key}.{sample.image_ext}", sample.image)
                add_tar_member(tar, f"{sample.key}.{CAPTION_EXT}", sample.caption.encode("utf-8"))
                meta = json.dumps(row, sort_keys=True).encode("utf-8")
                add_tar_member(tar, f"{sample.key}.{META_EXT}", meta)
        parquet_path = directory / f"{shard_name(shard)}.parquet"
        with atomic_output(parquet_path) as parquet_stream:
            rows.sort(key=lambda row: row["key"])
            pq.write_table(pa.Table.from_pylist(rows, schema=PARQUET_SCHEMA), parquet_stream)
        write_text_atomically(
            directory / f"{shard_name(shard)}_stats.json",
            json.dumps(stats_record(len(rows), len(samples)), indent=2, sort_keys=True) + "\n",
        )
    return tar_path


def read_captioned_shard(path: Path):
    """Yield ``(key, {extension: bytes})`` per sample of a tar shard, in file order."""
    current_key, parts = None, {}
    with tarfile.open(path, mode="r:*") as tar:
        for member in tar:
            if not member.isfile() or "." not in member.name:
                continue
            key, extension = member.name.rsplit("/", 1)[-1].split(".", 1)
            if key != current_key and current_key is not None:
                yield current_key, parts
                parts = {}
            current_key = key
            parts[extension] = tar.extractfile(member).read()
    if current_key is not None:
        yield current_key, parts
