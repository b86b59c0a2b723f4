"""Decode and validate one sample: an image the teacher can read and a caption that is text.

Every failure is a :class:`Reject` with a reason code; an image on its own (``decode_image``,
which ``xpm predict`` uses too) fails as a :class:`BadImage` with the same codes. Nothing raises.
The image bytes are kept as they came (the output shard never re-encodes them); the teacher gets
an RGB array: grayscale, palette, CMYK and 16-bit images are converted, and transparency is
composited onto white.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image

from pipeline.records import DecodedSample, RawSample, Reject
from schemas.captioned_shard import CAPTION_EXT, IMAGE_EXTENSIONS

STAGE = "decode"


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


def decode_sample(sample: RawSample, limits: DecodeLimits = DecodeLimits()) -> DecodedSample | Reject:
    def reject(reason: str, detail: str = "") -> Reject:
        return Reject(sample.key, sample.input_shard, STAGE, reason, detail)

    image_ext = next((ext for ext in IMAGE_EXTENSIONS if ext in sample.parts), None)
    if image_ext is None:
        return reject("missing_image", f"members: {sorted(sample.parts)}")
    if CAPTION_EXT not in sample.parts:
        return reject("missing_caption", f"members: {sorted(sample.parts)}")
    raw_caption = sample.parts[CAPTION_EXT]
    if len(raw_caption) > limits.max_caption_bytes:
        return reject("caption_too_long", f"{len(raw_caption)} bytes")
    try:
        caption = raw_caption.decode("utf-8")
    except UnicodeDecodeError as error:
        return reject("caption_not_utf8", str(error))
    if "\x00" in caption:
        return reject("caption_not_text", "holds NUL bytes")
    data = sample.parts[image_ext]
    pixels = decode_image(data, limits)
    if isinstance(pixels, BadImage):
        return reject(pixels.reason, pixels.detail)
    return DecodedSample(sample.key, sample.input_shard, data, image_ext, caption, pixels)
