"""The one font of raster pictures: Pillow's bundled scalable font (Pillow >= 10.1), so labels
look the same on every machine and no system font has to be installed."""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

# textbbox needs a drawing surface; measuring never draws, so one pixel is enough.
_MEASURE = ImageDraw.Draw(Image.new("1", (1, 1)))


@lru_cache(maxsize=None)
def font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def text_size(text: str, size: int) -> tuple[int, int]:
    """Width and height in pixels of ``text`` drawn at ``size`` with its top-left corner (anchor
    ``"lt"``) at the origin, as every picture here draws it."""
    _, _, right, bottom = _MEASURE.textbbox((0, 0), text, font=font(size), anchor="lt")
    return right, bottom


def fit_text(text: str, size: int, width: int) -> str:
    """``text``, cut with an ellipsis where it would be wider than ``width`` pixels."""
    if text_size(text, size)[0] <= width:
        return text
    while text and text_size(text + "…", size)[0] > width:
        text = text[:-1]
    return text + "…"
