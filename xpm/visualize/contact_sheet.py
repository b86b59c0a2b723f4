"""Many captioned images tiled into one picture, to look at a set of samples at a glance."""

from __future__ import annotations

import math
from typing import Sequence

from PIL import Image, ImageDraw

from xpm.visualize.fonts import fit_text, font, text_size


def _caption_lines(caption: str, size: int, width: int, max_lines: int) -> list[str]:
    """Words wrapped to ``width`` pixels; the last line cut with an ellipsis when there is more."""
    lines: list[str] = []
    words = caption.split()
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and text_size(f"{line} {words[0]}", size)[0] <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words:
        lines[-1] = fit_text(f"{lines[-1]} {' '.join(words)}", size, width)
    return [fit_text(line, size, width) for line in lines]


def contact_sheet(
    images: Sequence[Image.Image],
    captions: Sequence[str] | None = None,
    *,
    columns: int | None = None,
    cell_size: int = 256,
    caption_lines: int = 2,
    font_size: int = 13,
    background: tuple[int, int, int] = (255, 255, 255),
) -> Image.Image:
    """One RGB image: ``images`` in rows of ``columns`` (default: as square as possible), each
    scaled to fit a ``cell_size`` square (small ones enlarged), ``captions[i]`` wrapped under
    image ``i`` in up to ``caption_lines`` lines."""
    if not images:
        raise ValueError("a contact sheet needs at least one image.")
    if captions is not None and len(captions) != len(images):
        raise ValueError(f"captions must have one entry per image ({len(images)}); got {len(captions)}.")
    columns = columns or math.ceil(math.sqrt(len(images)))
    rows = math.ceil(len(images) / columns)
    gap = max(4, cell_size // 32)
    line_height = text_size("Ag", font_size)[1] + 2
    caption_height = caption_lines * line_height + gap if captions is not None else 0
    sheet = Image.new("RGB", (columns * (cell_size + gap) + gap, rows * (cell_size + caption_height + gap) + gap), background)
    draw = ImageDraw.Draw(sheet)
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        left, top = gap + column * (cell_size + gap), gap + row * (cell_size + caption_height + gap)
        ratio = cell_size / max(image.size)
        tile = image.convert("RGB").resize(
            (max(1, round(image.width * ratio)), max(1, round(image.height * ratio))), Image.Resampling.BILINEAR
        )
        sheet.paste(tile, (left + (cell_size - tile.width) // 2, top + (cell_size - tile.height) // 2))
        if captions is not None:
            for number, line in enumerate(_caption_lines(captions[index], font_size, cell_size, caption_lines)):
                y = top + cell_size + gap // 2 + number * line_height
                draw.text((left, y), line, fill=(30, 30, 30), font=font(font_size), anchor="lt")
    return sheet
