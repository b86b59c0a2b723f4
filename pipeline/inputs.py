"""Input shard lists: brace patterns ('DIR/{00000..00099}.tar'), globs, or comma lists, through
Beam's FileSystems so that remote paths work where their Beam extras are installed."""

from __future__ import annotations

import posixpath

from apache_beam.io.filesystems import FileSystems
from braceexpand import braceexpand

from xpm.config import ConfigError


def shard_name_of(path: str) -> str:
    name = posixpath.basename(path)
    return name[: -len(".tar")] if name.endswith(".tar") else name


def expand_inputs(pattern: str, option: str = "--input") -> list[str]:
    """The input tar paths, sorted; a pattern that matches nothing, or two shards of the same
    name (their outputs would collide), is an error naming it and the ``option`` that gave it."""
    paths: list[str] = []
    for part in (p.strip() for p in pattern.split(",")):
        for expanded in braceexpand(part):
            if "://" not in expanded:
                expanded = posixpath.normpath(expanded)
            if any(ch in expanded for ch in "*?["):
                matches = [m.path for r in FileSystems.match([expanded]) for m in r.metadata_list]
                if not matches:
                    raise ConfigError(f"{option} {expanded!r} matches no file.")
                paths.extend(matches)
            elif FileSystems.exists(expanded):
                paths.append(expanded)
            else:
                raise ConfigError(f"{option} names {expanded!r}, which does not exist.")
    names: dict[str, str] = {}
    for path in paths:
        name = shard_name_of(path)
        if name in names and names[name] != path:
            raise ConfigError(f"input shards {names[name]} and {path} share the name {name!r}; their outputs would collide.")
        names[name] = path
    if not names:
        raise ConfigError(f"{option} names no shard.")
    return sorted(names.values())
