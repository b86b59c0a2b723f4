"""A training run's folder: its saved config decides whether a start resumes or is refused."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from xpm.config import ConfigError, from_dict, save_config, to_dict


def _differences(old, new, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(set(old) | set(new))
        return [d for k in keys for d in _differences(old.get(k), new.get(k), f"{prefix}{k}.")]
    if old == new or (isinstance(old, str) and isinstance(new, str) and _same_file(old, new)):
        return []
    return [f"{prefix[:-1]}: {old!r} -> {new!r}"]


def _same_file(a: str, b: str) -> bool:
    """'base_instances.json' and 'data/../base_instances.json' name one input: the same run."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def claim_run_dir(out: Path, config, config_name: str, *, started: bool) -> None:
    """Save ``config`` into ``out``; if ``out`` holds a ``started`` run (one with weights saved),
    it must be this same config (then the caller resumes it), otherwise nothing there is touched
    and the error says why. A run that stopped before saving any weights (a wrong path, say) has
    nothing to resume: its config is replaced."""
    path = out / config_name
    if path.is_file() and started:
        saved = yaml.safe_load(path.read_text()) or {}
        try:
            # Fields added to the config since that run was saved take their defaults there too.
            saved = to_dict(from_dict(type(config), saved, str(path)))
        except (ConfigError, ValueError):
            pass
        changed = _differences(saved, to_dict(config))
        if changed:
            raise ConfigError(
                f"{out} holds a run with another config ({'; '.join(changed[:5])}); "
                "resume it with the same config, or pass a new --out."
            )
        return
    out.mkdir(parents=True, exist_ok=True)
    save_config(config, path)
