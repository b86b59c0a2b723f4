"""The colours pictures use: one per instance, one per chart series."""

from __future__ import annotations

import colorsys

# Okabe-Ito: told apart under the common colour-vision deficiencies.
SERIES_COLORS = ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442", "#000000")
MARKED_BACKGROUND = "#fff3bf"


def instance_color(index: int) -> tuple[int, int, int]:
    """Saturated colours in a fixed order; golden-ratio steps around the hue circle keep any
    two neighbours in the order far apart, however many instances there are."""
    hue = (index * 0.618033988749895) % 1.0
    red, green, blue = colorsys.hsv_to_rgb(hue, 0.85, 0.95)
    return round(red * 255), round(green * 255), round(blue * 255)


def text_color_on(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever reads better on ``background`` (relative luminance)."""
    red, green, blue = background
    return (0, 0, 0) if 0.299 * red + 0.587 * green + 0.114 * blue > 150 else (255, 255, 255)
