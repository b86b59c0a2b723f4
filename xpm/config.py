"""One frozen dataclass per job: loaded from YAML, overridden on the command line, saved beside
every output so the run can be repeated (``xpm <job> --config OUT/<job>_config.yaml``)."""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from xpm.io.atomic import write_text_atomically

C = TypeVar("C")


class ConfigError(ValueError):
    """A configuration value or file that cannot be used; the message names it."""


def _coerce(value: Any, hint: Any, name: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if value is None:
        if type(None) in args or hint is Any:
            return None
        raise ConfigError(f"{name} cannot be empty.")
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], name) if len(inner) == 1 else value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{name} must be a list; got {value!r}.")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0], name) for v in value)
        return tuple(_coerce(v, a, name) for v, a in zip(value, args))
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{name} must be true or false; got {value!r}.")
    if hint in (int, float, str):
        try:
            if hint is int and isinstance(value, float) and not value.is_integer():
                raise ValueError
            return hint(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be {hint.__name__}; got {value!r}.") from None
    return value


def from_dict(cls: type[C], data: dict, where: str = "config") -> C:
    """Build ``cls`` from a mapping, rejecting unknown keys and values of the wrong type."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a mapping of field: value.")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - fields)
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(fields))}.")
    values = {}
    for key, value in data.items():
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            values[key] = from_dict(hint, value, f"{where}.{key}")
        else:
            values[key] = _coerce(value, hint, f"{where}.{key}")
    try:
        return cls(**values)
    except ValueError as error:
        raise ConfigError(str(error)) from error


def merge_overrides(base: dict, overrides: dict) -> dict:
    """``overrides`` on top of ``base``, section by section; None means "not given" and is skipped."""
    merged = dict(base)
    for key, value in overrides.items():
        if value is None:
            continue
        if isinstance(value, dict):
            merged[key] = merge_overrides(merged[key] if isinstance(merged.get(key), dict) else {}, value)
            if not merged[key] and key not in base:
                del merged[key]
        else:
            merged[key] = value
    return merged


def parse_set_options(items: list[str] | None) -> dict:
    """``["optim.lr=0.01", "model.backbone=resnet18"]`` -> a nested override mapping; values are
    read as YAML, so numbers, booleans and lists keep their types."""
    result: dict = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: write FIELD=VALUE, e.g. --set optim.lr=0.01.")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            raise ConfigError(f"--set {item!r}: the value is not valid YAML.") from None
        node = result
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {item!r}: {part!r} is set both as a value and as a section.")
        node[parts[-1]] = value
    return result


def _check_names(cls: type, data: dict, blame) -> None:
    """Unknown field names in ``data``, reported by ``blame(dotted name)`` so a typo is pinned on
    where it was written (the YAML file or --set), not on the merge of both."""
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    for key, value in data.items():
        if key not in fields:
            raise ConfigError(f"{blame(key)}: unknown field; known here: {', '.join(sorted(fields))}.")
        if dataclasses.is_dataclass(hints[key]) and isinstance(value, dict):
            _check_names(hints[key], value, lambda name, key=key: blame(f"{key}.{name}"))


def load_config(cls: type[C], path: str | Path | None = None, overrides: dict | None = None) -> C:
    """Defaults < YAML file < ``overrides`` (command-line values that were given; nested
    mappings override field by field)."""
    data: dict = {}
    if path is not None:
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist.") from None
        except yaml.YAMLError as error:
            raise ConfigError(f"config file {path} is not valid YAML ({error}).") from None
        except IsADirectoryError:
            raise ConfigError(f"config file {path} is a folder; give the YAML file.") from None
        if not isinstance(data, dict):
            raise ConfigError(f"config file {path} must hold a mapping of field: value.")
        _check_names(cls, data, lambda name: f"config file {path}: {name}")
    _check_names(cls, {k: v for k, v in (overrides or {}).items() if v is not None}, lambda name: f"--set {name}")
    data = merge_overrides(data, overrides or {})
    return from_dict(cls, data, where=str(path) if path else "config")


def to_dict(config) -> dict:
    def plain(value):
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return {k: plain(v) for k, v in dataclasses.asdict(config).items()}


def save_config(config, path: str | Path) -> None:
    write_text_atomically(path, yaml.safe_dump(to_dict(config), sort_keys=False))
