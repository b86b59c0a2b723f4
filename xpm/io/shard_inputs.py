"""Input shard lists: brace patterns ('DIR/{00000..00099}.tar'), globs, or comma lists, local or
remote (``xpm.io.paths``). The pipeline's input and the teacher's captioned shards alike."""

from __future__ import annotations

import posixpath

from braceexpand import braceexpand

from xpm.config import ConfigError
from xpm.io import paths


def shard_name_of(path: str) -> str:
    name = posixpath.basename(path)
    return name[: -len(".tar")] if name.endswith(".tar") else name


def expand_inputs(pattern: str, option: str = "--input") -> list[str]:
    """The input tar paths, sorted; a pattern that matches nothing, or two shards of the same
    name (their outputs would collide), is an error naming it and the ``option`` that gave it."""
    found: list[str] = []
    for part in (p.strip() for p in pattern.split(",")):
        for expanded in braceexpand(part):
            if "://" not in expanded:
                expanded = posixpath.normpath(expanded)
            if any(ch in expanded for ch in "*?["):
                matches = paths.glob(expanded)
                if not matches:
                    raise ConfigError(f"{option} {expanded!r} matches no file.")
                found.extend(matches)
            elif paths.exists(expanded):
                found.append(expanded)
            else:
                raise ConfigError(f"{option} names {expanded!r}, which does not exist.")
    names: dict[str, str] = {}
    for path in found:
        name = shard_name_of(path)
        if name in names and names[name] != path:
            raise ConfigError(f"input shards {names[name]} and {path} share the name {name!r}; their outputs would collide.")
        names[name] = path
    if not names:
        raise ConfigError(f"{option} names no shard.")
    return sorted(names.values())
