"""Mask-head outputs (``M x M`` per box) pasted into image coordinates in one batched call.

torchvision pastes masks one at a time in a Python loop, which dominates CPU inference once an
image has dozens of detections; one ``grid_sample`` over all boxes gives the same bilinear
resampling (mask pixel centres mapped onto the box) for all of them at once.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def paste_masks(masks: torch.Tensor, boxes: torch.Tensor, height: int, width: int, *, outside: float = 0.0) -> torch.Tensor:
    """``masks [K, M, M]`` inside ``boxes [K, 4]`` (xyxy, image pixels) -> ``[K, height, width]``.

    Pixels outside a box take ``outside``: 0 for probabilities, ``-inf`` for logits (so that a
    logit threshold never marks them). Inside, values near the box edge extend the mask's edge
    pixels rather than fading to 0, which would move a logit threshold."""
    count = masks.shape[0]
    if count == 0:
        return masks.new_zeros((0, height, width))
    boxes = boxes.to(masks.dtype)
    x1, y1, x2, y2 = boxes.unbind(dim=1)
    xs = torch.arange(width, device=masks.device, dtype=masks.dtype) + 0.5
    ys = torch.arange(height, device=masks.device, dtype=masks.dtype) + 0.5
    # Normalised to [-1, 1] across each box: grid_sample's coordinates with align_corners=False.
    gx = (xs[None] - x1[:, None]) / (x2 - x1).clamp_min(1e-3)[:, None] * 2 - 1
    gy = (ys[None] - y1[:, None]) / (y2 - y1).clamp_min(1e-3)[:, None] * 2 - 1
    grid = torch.stack(torch.broadcast_tensors(gx[:, None, :], gy[:, :, None]), dim=-1)
    pasted = F.grid_sample(masks[:, None], grid, mode="bilinear", padding_mode="border", align_corners=False)[:, 0]
    inside = (gx.abs() <= 1)[:, None, :] & (gy.abs() <= 1)[:, :, None]
    return torch.where(inside, pasted, torch.full_like(pasted, outside))
