"""Reading finished dataset versions: which exist, and one version's manifest and tables."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import cached_property

from apache_beam.io.filesystems import FileSystems

from pipeline.version import existing_versions
from pipeline.write.filesystem import read_bytes
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
from xpm.io.parquet import read_parquet_rows


@dataclass(frozen=True)
class DatasetVersion:
    path: str

    @cached_property
    def manifest(self) -> dict:
        manifest = json.loads(read_bytes(FileSystems.join(self.path, MANIFEST_FILE)))
        if manifest.get("format") != MANIFEST_FORMAT or manifest.get("version") != MANIFEST_VERSION:
            raise ConfigError(f"{self.path}: manifest format {manifest.get('format')!r} v{manifest.get('version')}; "
                              f"this xpm reads {MANIFEST_FORMAT} v{MANIFEST_VERSION}.")
        return manifest

    def table(self, name: str) -> list[dict]:
        return read_parquet_rows(io.BytesIO(read_bytes(FileSystems.join(self.path, name))))

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
        return FileSystems.join(self.path, SHARDS_DIR, name)


def open_version(path: str) -> DatasetVersion:
    """``ROOT/NAME/vN``, or ``ROOT/NAME`` for its newest version."""
    path = path.rstrip("/")
    if parse_version_dir_name(path.split("/")[-1]) is None:
        versions = existing_versions(path)
        if not versions:
            if not FileSystems.exists(path):
                raise ConfigError(f"{path} does not exist; give a dataset version ROOT/NAME/vN (or ROOT/NAME for the newest).")
            names = sorted({name for name, _, _ in list_datasets(path)})
            if names:
                raise ConfigError(f"{path} is a dataset root holding {', '.join(names)}; give ROOT/NAME "
                                  f"(e.g. {FileSystems.join(path, names[0])}) or ROOT/NAME/vN.")
            raise ConfigError(f"{path} holds no finished dataset version (ROOT/NAME/vN with a manifest.json).")
        path = FileSystems.join(path, version_dir_name(versions[-1]))
    if not FileSystems.exists(FileSystems.join(path, MANIFEST_FILE)):
        raise ConfigError(f"{path} is not a finished dataset version: it has no {MANIFEST_FILE}.")
    return DatasetVersion(path)


def list_datasets(root: str) -> list[tuple[str, int, dict]]:
    """``(name, version, counts)`` of every finished version under ``root``."""
    if not FileSystems.exists(root):
        raise ConfigError(f"dataset root {root} does not exist (pseudo-label's --output).")
    pattern = FileSystems.join(root, "*", "v*", MANIFEST_FILE)
    found = sorted(m.path for r in FileSystems.match([pattern]) for m in r.metadata_list)
    rows = []
    for manifest_path in found:
        parts = manifest_path.replace("\\", "/").split("/")
        number = parse_version_dir_name(parts[-2])
        if number is not None:
            rows.append((parts[-3], number, json.loads(read_bytes(manifest_path))["counts"]))
    return sorted(rows, key=lambda row: (row[0], row[1]))
