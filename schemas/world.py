"""The stamp at a synthetic world's root, ``world.json``: which format of ``xpm synth`` wrote the
world. A world's bytes follow from its config only under one format, so a world is reused only by
the format that wrote it."""

from __future__ import annotations

import json
from pathlib import Path

WORLD_FORMAT = "xpm.synth_world"
WORLD_VERSION = 2
STAMP_FILE = "world.json"
# Worlds written before worlds were stamped carry no world.json; they count as this format.
UNSTAMPED_VERSION = 1


def write_world_stamp(root: str | Path) -> None:
    Path(root, STAMP_FILE).write_text(json.dumps({"format": WORLD_FORMAT, "version": WORLD_VERSION}, indent=2) + "\n")


def read_world_version(root: str | Path) -> int | None:
    """The format version of the world at ``root``: :data:`UNSTAMPED_VERSION` without a stamp,
    ``None`` for a stamp that names no version of :data:`WORLD_FORMAT`."""
    path = Path(root, STAMP_FILE)
    if not path.exists():
        return UNSTAMPED_VERSION
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("format") != WORLD_FORMAT or not isinstance(data.get("version"), int):
        return None
    return data["version"]
