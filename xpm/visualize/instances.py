"""Detections or pseudo labels drawn on their image: each instance in its own colour, its mask
blended in and outlined, its box, and a "name score" tag.

Masks and boxes are torchvision's ``draw_segmentation_masks`` / ``draw_bounding_boxes``; what
they lack stays here: mask outlines, and tags on a filled background in a font with emoji (their
labels sit inside the box, in one font, unreadable on a busy image)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from PIL import Image, ImageDraw
from torchvision.utils import draw_bounding_boxes, draw_segmentation_masks

from xpm.visualize.colors import instance_color, text_color_on
from xpm.visualize.fonts import font, text_size


def _outline(mask: np.ndarray) -> np.ndarray:
    """The mask's pixels that touch a pixel outside it (4-neighbourhood)."""
    padded = np.pad(mask, 1)
    interior = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    return mask & ~interior


def _check_lengths(count: int, masks, labels, scores, colors, image_size: tuple[int, int]) -> None:
    width, height = image_size
    if masks is not None and tuple(np.shape(masks)) != (count, height, width):
        raise ValueError(f"masks must be [{count}, {height}, {width}] (one per box, the image's size); got {np.shape(masks)}.")
    for name, values in (("labels", labels), ("scores", scores), ("colors", colors)):
        if values is not None and len(values) != count:
            raise ValueError(f"{name} must have one entry per box ({count}); got {len(values)}.")


def draw_instances(
    image: Image.Image,
    boxes,
    masks=None,
    labels: Sequence[str] | None = None,
    scores=None,
    *,
    colors: Sequence[tuple[int, int, int]] | None = None,
    mask_alpha: float = 0.45,
    display_size: int | None = None,
) -> Image.Image:
    """A new RGB image: ``image`` with ``boxes`` (``[N, 4]`` xyxy pixels), ``masks`` (``[N, H, W]``
    bool or 0/1, or None), a tag per instance (``labels[i]``, then ``scores[i]`` to two decimals;
    either may be None) and instance ``i`` in ``colors[i]`` (default: a fixed distinct palette).

    Line widths and text scale with the image. ``display_size`` enlarges an image whose longer
    side is shorter than that before drawing, so tags stay legible on tiny images; the output
    then has the enlarged size.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    count = len(boxes)
    _check_lengths(count, masks, labels, scores, colors, image.size)
    colors = list(colors) if colors is not None else [instance_color(i) for i in range(count)]
    canvas = image.convert("RGB")
    scale = 1.0
    if display_size and max(canvas.size) < display_size:
        scale = display_size / max(canvas.size)
        canvas = canvas.resize((round(canvas.width * scale), round(canvas.height * scale)), Image.Resampling.BILINEAR)
    pixels = torch.from_numpy(np.array(canvas)).permute(2, 0, 1)
    if masks is not None and count:
        stack = np.asarray(masks) > 0.5
        if scale != 1.0:
            stack = np.stack([np.asarray(Image.fromarray(mask).resize(canvas.size, Image.Resampling.NEAREST)) for mask in stack])
        stack = torch.from_numpy(stack)
        pixels = draw_segmentation_masks(pixels, stack, alpha=mask_alpha, colors=colors)
        for mask, color in zip(stack.numpy(), colors):
            pixels[:, torch.from_numpy(_outline(mask))] = torch.tensor(color, dtype=torch.uint8)[:, None]
    short_side = min(canvas.size)
    line = max(1, round(short_side / 250))
    size = max(9, min(28, round(short_side / 28)))
    scaled = boxes * scale
    if count:
        ordered = np.concatenate([scaled[:, :2], np.maximum(scaled[:, 2:], scaled[:, :2])], axis=1)
        pixels = draw_bounding_boxes(pixels, torch.from_numpy(ordered), colors=colors, width=line)
    canvas = Image.fromarray(pixels.permute(1, 2, 0).numpy())
    draw = ImageDraw.Draw(canvas)
    # Tags after every box and mask, so no instance covers another's text.
    for index, ((x1, y1, _, _), color) in enumerate(zip(scaled, colors)):
        parts = [labels[index] if labels is not None else None, f"{float(scores[index]):.2f}" if scores is not None else None]
        tag = " ".join(part for part in parts if part)
        if not tag:
            continue
        width, height = text_size(tag, size)
        pad = max(1, size // 6)
        left = min(max(0.0, x1), max(0.0, canvas.width - width - 2 * pad))
        # Above the box where there is room, else just inside its top edge.
        top = y1 - height - 2 * pad if y1 - height - 2 * pad >= 0 else max(0.0, y1)
        draw.rectangle((left, top, left + width + 2 * pad, top + height + 2 * pad), fill=color)
        draw.text((left + pad, top + pad), tag, fill=text_color_on(color), font=font(size), anchor="lt")
    return canvas
