"""``--device auto|cpu|cuda[:N]``: CUDA asked for and absent is an error, never a silent fallback."""

from __future__ import annotations

import torch

from xpm.config import ConfigError


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ConfigError(f"device {name!r} was asked for but CUDA is not available here; use --device cpu or auto.")
        device = torch.device(name)
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(f"device {name!r}: this machine has {torch.cuda.device_count()} CUDA device(s).")
        return device
    raise ConfigError(f"device {name!r}: use auto, cpu, cuda or cuda:N.")
