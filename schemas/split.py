"""The class split file: which classes have masks (base), which are only evaluated (target),
and which appear only in captions (caption_only)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

SPLIT_FORMAT = "xpm.split"
SPLIT_VERSION = 1


class SplitError(ValueError):
    """A split file that cannot be used; the message names the file and the fix."""


@dataclass(frozen=True)
class ClassSplit:
    base: tuple[str, ...]
    target: tuple[str, ...]
    caption_only: tuple[str, ...] = ()

    @property
    def all_classes(self) -> tuple[str, ...]:
        return self.base + self.target + self.caption_only

    @property
    def group_of(self) -> dict[str, str]:
        """Class name -> its group: base, target or caption_only."""
        return {name: group for group in ("base", "target", "caption_only") for name in getattr(self, group)}

    def to_json(self) -> dict:
        return {
            "format": SPLIT_FORMAT,
            "version": SPLIT_VERSION,
            "base": list(self.base),
            "target": list(self.target),
            "caption_only": list(self.caption_only),
        }

    def check(self, known: set[str] | None = None, where: str = "split") -> "ClassSplit":
        """Raise :class:`SplitError` for an empty base or target, overlaps, or unknown names."""
        if not self.base:
            raise SplitError(f"{where}: 'base' is empty; name the classes whose masks are used for training.")
        if not self.target:
            raise SplitError(f"{where}: 'target' is empty; name the classes to evaluate as never seen.")
        seen: dict[str, str] = {}
        for group in ("base", "target", "caption_only"):
            for name in getattr(self, group):
                if not isinstance(name, str) or not name.strip():
                    raise SplitError(f"{where}: {group} holds {name!r}; class names are non-empty strings.")
                if name in seen:
                    raise SplitError(f"{where}: {name!r} is in both {seen[name]!r} and {group!r}; a class belongs to one group.")
                seen[name] = group
        if known is not None:
            unknown = sorted(set(seen) - known)
            if unknown:
                raise SplitError(
                    f"{where}: {', '.join(map(repr, unknown))} not in the class catalog; "
                    "list the catalog with `xpm synth --list-classes`."
                )
        return self


def read_split(path: str | Path, known: set[str] | None = None) -> ClassSplit:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise SplitError(f"split file {path} does not exist.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SplitError(f"split file {path} is not JSON ({error}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("base"), list) or not isinstance(data.get("target"), list):
        raise SplitError(f"split file {path} needs lists 'base' and 'target' (and optionally 'caption_only').")
    version = data.get("version", SPLIT_VERSION)
    if version != SPLIT_VERSION:
        raise SplitError(f"split file {path} has version {version}; this xpm reads version {SPLIT_VERSION}.")
    split = ClassSplit(
        base=tuple(data["base"]), target=tuple(data["target"]), caption_only=tuple(data.get("caption_only", []))
    )
    return split.check(known, where=f"split file {path}")


def write_split(split: ClassSplit, path: str | Path) -> None:
    Path(path).write_text(json.dumps(split.to_json(), indent=2) + "\n")
