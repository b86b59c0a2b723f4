"""Reading finished dataset versions (which exist, one version's manifest and tables) and checking
a version's shards against its manifest: the contract between the pipeline that writes versions
and the trainers, reports and commands that read them, none of which needs Beam to do so."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import BinaryIO, Callable, Iterable

from schemas.dataset_version import (
    INDEX_FILE,
    MANIFEST_FILE,
    MANIFEST_FORMAT,
    MANIFEST_VERSION,
    REJECTS_FILE,
    SHARDS_DIR,
    VOCAB_FILE,
    parse_version_dir_name,
    version_dir_name,
)
from xpm.config import ConfigError
from xpm.io import paths
from xpm.io.parquet import read_parquet_rows

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


def existing_versions(dataset_dir: str) -> list[int]:
    """Numbers of the finished versions: folders ``vN`` holding a manifest (written last)."""
    found = paths.glob(paths.join(dataset_dir, "v*", MANIFEST_FILE))
    numbers = (parse_version_dir_name(path.replace("\\", "/").split("/")[-2]) for path in found)
    return sorted(n for n in numbers if n is not None)


@dataclass(frozen=True)
class DatasetVersion:
    path: str

    @cached_property
    def manifest(self) -> dict:
        manifest = json.loads(paths.read_bytes(paths.join(self.path, MANIFEST_FILE)))
        if manifest.get("format") != MANIFEST_FORMAT or manifest.get("version") != MANIFEST_VERSION:
            raise ConfigError(f"{self.path}: manifest format {manifest.get('format')!r} v{manifest.get('version')}; "
                              f"this xpm reads {MANIFEST_FORMAT} v{MANIFEST_VERSION}.")
        return manifest

    def table(self, name: str) -> list[dict]:
        return read_parquet_rows(paths.read_bytes(paths.join(self.path, name)))

    @property
    def index(self) -> list[dict]:
        return self.table(INDEX_FILE)

    @property
    def vocab(self) -> list[dict]:
        return self.table(VOCAB_FILE)

    @property
    def rejects(self) -> list[dict]:
        return self.table(REJECTS_FILE)

    def shard_path(self, name: str) -> str:
        return paths.join(self.path, SHARDS_DIR, name)

    @cached_property
    def sha256(self) -> str:
        """The version's identity: its manifest names every shard's sha256 and the lineage."""
        return hashlib.sha256(paths.read_bytes(paths.join(self.path, MANIFEST_FILE))).hexdigest()


def open_version(path: str) -> DatasetVersion:
    """``ROOT/NAME/vN``, or ``ROOT/NAME`` for its newest version."""
    path = path.rstrip("/")
    if parse_version_dir_name(path.split("/")[-1]) is None:
        versions = existing_versions(path)
        if not versions:
            if not paths.exists(path):
                raise ConfigError(f"{path} does not exist; give a dataset version ROOT/NAME/vN (or ROOT/NAME for the newest).")
            names = sorted({name for name, _, _ in list_datasets(path)})
            if names:
                raise ConfigError(f"{path} is a dataset root holding {', '.join(names)}; give ROOT/NAME "
                                  f"(e.g. {paths.join(path, names[0])}) or ROOT/NAME/vN.")
            raise ConfigError(f"{path} holds no finished dataset version (ROOT/NAME/vN with a manifest.json).")
        path = paths.join(path, version_dir_name(versions[-1]))
    if not paths.exists(paths.join(path, MANIFEST_FILE)):
        raise ConfigError(f"{path} is not a finished dataset version: it has no {MANIFEST_FILE}.")
    return DatasetVersion(path)


def list_datasets(root: str) -> list[tuple[str, int, dict]]:
    """``(name, version, counts)`` of every finished version under ``root``."""
    if not paths.exists(root):
        raise ConfigError(f"dataset root {root} does not exist (pseudo-label's --output).")
    found = paths.glob(paths.join(root, "*", "v*", MANIFEST_FILE))
    rows = []
    for manifest_path in found:
        parts = manifest_path.replace("\\", "/").split("/")
        number = parse_version_dir_name(parts[-2])
        if number is not None:
            rows.append((parts[-3], number, json.loads(paths.read_bytes(manifest_path))["counts"]))
    return sorted(rows, key=lambda row: (row[0], row[1]))
