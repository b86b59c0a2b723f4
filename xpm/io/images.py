"""Image bytes -> RGB pixels, one way for every reader (the pipeline's teacher pass, caption
grounding, the student, evaluation, ``xpm predict``), so no two of them see different pixels:
grayscale, palette, CMYK and 16-bit images are converted, and transparency is composited onto
white. Decoding never raises: a bad image is a :class:`BadImage` with a reason code."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image


def rgb_tensor(pixels, device: torch.device | str | None = None) -> torch.Tensor:
    """``H x W x 3`` uint8 RGB (an array or a PIL image) -> ``[3, H, W]`` float in [0, 1].

    The uint8 pixels travel to ``device`` before the conversion: a quarter of the bytes of the
    float image. The input is copied, never shared, so the caller's array may be read-only.
    """
    return torch.tensor(np.asarray(pixels), device=device).permute(2, 0, 1).float().div_(255)


@dataclass(frozen=True)
class DecodeLimits:
    # Above this many pixels an image is refused before it is decoded: a decompression bomb
    # (a few KB of PNG that inflates to gigabytes) must not reach memory.
    max_pixels: int = 40_000_000
    min_side: int = 16
    max_caption_bytes: int = 10_000


def _to_rgb(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        values = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        gray = np.clip(values / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    return np.asarray(image.convert("RGB"))


@dataclass(frozen=True)
class BadImage:
    """Why bytes are no image the teacher can read: a reject reason code and its specifics."""

    reason: str
    detail: str = ""


def decode_image(data: bytes, limits: DecodeLimits = DecodeLimits()) -> np.ndarray | BadImage:
    """``H x W x 3`` uint8 RGB, contiguous, or why ``data`` cannot be used."""
    if not data:
        return BadImage("empty_image_file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > limits.max_pixels:
                    return BadImage("image_too_large", f"{width}x{height} exceeds {limits.max_pixels} pixels")
                if min(width, height) < limits.min_side:
                    return BadImage("image_too_small", f"{width}x{height}; the shorter side must be >= {limits.min_side}")
                image.load()
                pixels = _to_rgb(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        return BadImage("image_too_large", str(error))
    except (OSError, ValueError, SyntaxError, Image.UnidentifiedImageError) as error:
        return BadImage("undecodable_image", f"{type(error).__name__}: {error}")
    return np.ascontiguousarray(pixels)


def read_rgb(path: str | Path, limits: DecodeLimits = DecodeLimits()) -> np.ndarray:
    """A file's ``H x W x 3`` uint8 RGB; a file that is no usable image is an error naming it."""
    decoded = decode_image(Path(path).read_bytes(), limits)
    if isinstance(decoded, BadImage):
        raise ValueError(f"image {path} cannot be used: {decoded.reason} {decoded.detail}".rstrip() + ".")
    return decoded
