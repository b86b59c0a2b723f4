"""Textured backgrounds, so that a detector must learn objects and not "anything not flat"."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def _colour(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(0, 255, size=3)


def _smooth_noise(rng, size):
    cells = int(rng.integers(2, 9))
    grid = rng.uniform(0, 255, size=(cells, cells, 3)).astype(np.uint8)
    return np.asarray(Image.fromarray(grid).resize((size, size), Image.BICUBIC), dtype=np.float32)


def _stripes(rng, size):
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    period = rng.uniform(6, size / 2)
    wave = 0.5 + 0.5 * np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period)
    return wave[..., None] * _colour(rng) + (1 - wave[..., None]) * _colour(rng)


def _checker(rng, size):
    cell = int(rng.integers(4, max(5, size // 4)))
    yy, xx = np.mgrid[0:size, 0:size]
    board = (((yy // cell) + (xx // cell)) % 2).astype(np.float32)[..., None]
    return board * _colour(rng) + (1 - board) * _colour(rng)


def _gradient(rng, size):
    ramp = np.linspace(0, 1, size, dtype=np.float32)
    ramp = ramp[None, :, None] if rng.random() < 0.5 else ramp[:, None, None]
    return ramp * _colour(rng) + (1 - ramp) * _colour(rng) + np.zeros((size, size, 1), np.float32)


def _blobs(rng, size):
    image = Image.new("RGB", (size, size), tuple(int(c) for c in _colour(rng)))
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(3, 10))):
        x, y = rng.uniform(-0.2, 1.0, size=2) * size
        w, h = rng.uniform(0.1, 0.5, size=2) * size
        draw.ellipse([x, y, x + w, y + h], fill=tuple(int(c) for c in _colour(rng)))
    return np.asarray(image.filter(ImageFilter.GaussianBlur(size / 40)), dtype=np.float32)


_TEXTURES = (_smooth_noise, _stripes, _checker, _gradient, _blobs)


def random_background(rng: np.random.Generator, size: int) -> np.ndarray:
    """``size x size x 3`` float32 in [0, 255]: one of five textures plus pixel noise."""
    texture = _TEXTURES[int(rng.integers(len(_TEXTURES)))](rng, size)
    noise = rng.normal(0, rng.uniform(0, 12), size=(size, size, 1)).astype(np.float32)
    return np.clip(texture + noise, 0, 255).astype(np.float32)
