"""Emoji glyphs as RGBA sprites; the alpha channel is the object's exact instance mask."""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from xpm.resources.emoji_font import EMOJI_FONT_SIZE, emoji_font_path

# Alpha at or above this is object: the glyph edges are anti-aliased, the mask is binary.
MASK_ALPHA = 128


@functools.lru_cache(maxsize=None)
def _font() -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(emoji_font_path()), EMOJI_FONT_SIZE)


@functools.lru_cache(maxsize=None)
def glyph_sprite(emoji: str) -> Image.Image:
    """The emoji drawn once at the font's native size, cropped to its alpha box."""
    canvas = Image.new("RGBA", (EMOJI_FONT_SIZE * 3 // 2, EMOJI_FONT_SIZE * 3 // 2), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((0, 0), emoji, font=_font(), embedded_color=True)
    box = canvas.getchannel("A").point(lambda a: 255 if a >= MASK_ALPHA else 0).getbbox()
    if box is None:
        raise ValueError(f"the emoji font has no glyph for {emoji!r} (U+{ord(emoji[0]):04X}).")
    return canvas.crop(box)


def transformed_sprite(emoji: str, *, size: int, angle: float, flip: bool) -> Image.Image:
    """The sprite scaled so its longer side is ``size``, mirrored, rotated; cropped to alpha."""
    sprite = glyph_sprite(emoji)
    scale = size / max(sprite.size)
    sprite = sprite.resize((max(1, round(sprite.width * scale)), max(1, round(sprite.height * scale))), Image.BILINEAR)
    if flip:
        sprite = sprite.transpose(Image.FLIP_LEFT_RIGHT)
    sprite = sprite.rotate(angle, resample=Image.BILINEAR, expand=True)
    box = sprite.getchannel("A").point(lambda a: 255 if a >= MASK_ALPHA else 0).getbbox()
    return sprite.crop(box) if box else sprite


def sprite_mask(sprite: Image.Image) -> np.ndarray:
    return np.asarray(sprite.getchannel("A")) >= MASK_ALPHA
