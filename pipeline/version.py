"""Dataset versions ``ROOT/NAME/vN``: built in a staging folder named by the run's identity (so a
re-run with the same arguments resumes it), then renamed to the next free ``vN`` — a version
exists only once whole, and nothing ever writes into a finished one."""

from __future__ import annotations

import hashlib
import json

from apache_beam.io.filesystems import FileSystems

from schemas.dataset_version import version_dir_name
from xpm.io.dataset_version import existing_versions

STAGING_PREFIX = ".staging-"
# The temporaries of pipeline.write.filesystem.atomic_write.
PARTIAL_PATTERN = ".*.partial"


def run_identity(description: dict) -> str:
    return hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()[:16]


def staging_dir(dataset_dir: str, identity: str) -> str:
    return FileSystems.join(dataset_dir, STAGING_PREFIX + identity)


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
