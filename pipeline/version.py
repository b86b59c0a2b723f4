"""Dataset versions ``ROOT/NAME/vN``: built in a staging folder named by the run's identity (so a
re-run with the same arguments resumes it), then renamed to the next free ``vN`` — a version
exists only once whole, and nothing ever writes into a finished one."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from apache_beam.io.filesystems import FileSystems

from schemas.dataset_version import version_dir_name
from xpm.config import ConfigError
from xpm.io import paths
from xpm.io.dataset_version import existing_versions
from xpm.io.jobs import is_locked, lock_holder

STAGING_PREFIX = ".staging-"
# The temporaries of pipeline.write.filesystem.atomic_write.
PARTIAL_PATTERN = ".*.partial"


def run_identity(description: dict) -> str:
    return hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()[:16]


def staging_dir(dataset_dir: str, identity: str) -> str:
    return FileSystems.join(dataset_dir, STAGING_PREFIX + identity)


def lock_path(staging: str) -> str:
    """The lock a running job holds on its staging folder: beside it, so that it is no part of the
    version the folder becomes."""
    return staging + ".lock"


def discard_partial_writes(staging: str) -> None:
    """Delete the hidden temporaries of writes a killed run left half done: they are no part of
    the version, and a resumed run rewrote what they were meant to become."""
    patterns = [FileSystems.join(staging, PARTIAL_PATTERN), FileSystems.join(staging, "*", PARTIAL_PATTERN)]
    leftovers = [m.path for r in FileSystems.match(patterns) for m in r.metadata_list]
    if leftovers:
        FileSystems.delete(leftovers)


def commit_version(staging: str, dataset_dir: str) -> str:
    """Rename the finished staging folder to the next ``vN``; returns its path."""
    discard_partial_writes(staging)
    number = max(existing_versions(dataset_dir), default=0) + 1
    while FileSystems.exists(FileSystems.join(dataset_dir, version_dir_name(number))):
        number += 1
    target = FileSystems.join(dataset_dir, version_dir_name(number))
    FileSystems.rename([staging], [target])
    return target


@dataclass(frozen=True)
class StagingFolder:
    """A run's unfinished version: ``running`` names the job writing it (None: it was stopped
    and waits for the same command to resume it)."""

    path: str
    shards: int
    running: str | None


def staging_folders(root: str, name: str = "*") -> list[StagingFolder]:
    """The staging folders under ``root`` (of dataset ``name``), sorted."""
    found = []
    for path in paths.glob(paths.join(root, name, STAGING_PREFIX + "*")):
        if path.endswith(".lock"):
            continue
        lock = path + ".lock"
        running = lock_holder(Path(lock)) if "://" not in lock and is_locked(Path(lock)) else None
        found.append(StagingFolder(path, len(paths.glob(paths.join(path, "parts", "*.json"))), running))
    return found


def clean_staging(dataset_dir: str) -> tuple[list[StagingFolder], list[StagingFolder]]:
    """Remove the stopped runs' staging folders of ``ROOT/NAME`` (and locks a killed job left);
    returns (removed, running: left alone)."""
    if "://" in dataset_dir:
        raise ConfigError(f"{dataset_dir}: clean works on local folders; remove .staging-* folders with your storage's tools.")
    if not Path(dataset_dir).is_dir():
        raise ConfigError(f"{dataset_dir} is not a folder; give ROOT/NAME (pseudo-label's --output and --name).")
    folder = Path(dataset_dir)
    stagings = staging_folders(str(folder.parent), folder.name)
    removed = [staging for staging in stagings if staging.running is None]
    for staging in removed:
        shutil.rmtree(staging.path)
    for lock in folder.glob(STAGING_PREFIX + "*.lock"):
        if not is_locked(lock) and not Path(str(lock)[: -len(".lock")]).exists():
            lock.unlink(missing_ok=True)
    return removed, [staging for staging in stagings if staging.running is not None]
