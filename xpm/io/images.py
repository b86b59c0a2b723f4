"""Decoded RGB pixels as the models take them."""

from __future__ import annotations

import numpy as np
import torch


def rgb_tensor(pixels, device: torch.device | str | None = None) -> torch.Tensor:
    """``H x W x 3`` uint8 RGB (an array or a PIL image) -> ``[3, H, W]`` float in [0, 1].

    The uint8 pixels travel to ``device`` before the conversion: a quarter of the bytes of the
    float image. The input is copied, never shared, so the caller's array may be read-only.
    """
    return torch.tensor(np.asarray(pixels), device=device).permute(2, 0, 1).float().div_(255)
