"""Scenes: emoji objects pasted over a textured background, with exact visible-part masks."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from xpm.synth.backgrounds import random_background
from xpm.synth.catalog import ObjectClass
from xpm.synth.glyphs import sprite_mask, transformed_sprite

# An object later ones cover beyond this share is dropped from the scene, as a person would not
# annotate it either; below it, objects are partly occluded.
MIN_VISIBLE_SHARE = 0.45
MIN_VISIBLE_PIXELS = 40
SIZE_RANGE = (0.22, 0.55)
MAX_ANGLE = 25.0
_PLACEMENT_TRIES = 8


@dataclass
class Instance:
    cls: ObjectClass
    mask: np.ndarray  # HxW bool, the visible part


@dataclass
class Scene:
    image: np.ndarray  # HxWx3 uint8
    instances: list[Instance]


def compose_scene(rng: np.random.Generator, classes: list[ObjectClass], size: int) -> Scene:
    """Paste ``classes`` in order (later ones in front) at random scale, rotation, flip, place."""
    canvas = random_background(rng, size)
    placed: list[tuple[ObjectClass, np.ndarray, int]] = []
    for cls in classes:
        for _ in range(_PLACEMENT_TRIES):
            sprite = transformed_sprite(
                cls.emoji,
                size=max(8, int(rng.uniform(*SIZE_RANGE) * size)),
                angle=float(rng.uniform(-MAX_ANGLE, MAX_ANGLE)),
                flip=bool(rng.random() < 0.5),
            )
            x = int(rng.integers(0, max(1, size - sprite.width + 1)))
            y = int(rng.integers(0, max(1, size - sprite.height + 1)))
            full = np.zeros((size, size), dtype=bool)
            local = sprite_mask(sprite)[: size - y, : size - x]
            full[y : y + local.shape[0], x : x + local.shape[1]] = local
            if all((mask & ~full).sum() >= max(MIN_VISIBLE_PIXELS, MIN_VISIBLE_SHARE * area) for _, mask, area in placed):
                break
        else:
            continue
        rgba = np.asarray(sprite, dtype=np.float32)[: size - y, : size - x]
        alpha = rgba[..., 3:4] / 255.0
        region = canvas[y : y + rgba.shape[0], x : x + rgba.shape[1]]
        region[...] = region * (1 - alpha) + rgba[..., :3] * alpha
        placed = [(c, mask & ~full, area) for c, mask, area in placed]
        placed.append((cls, full, int(full.sum())))
    image = np.clip(canvas + 0.5, 0, 255).astype(np.uint8)
    return Scene(image=image, instances=[Instance(cls, mask) for cls, mask, _ in placed])


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality, optimize=False)
    return buffer.getvalue()
