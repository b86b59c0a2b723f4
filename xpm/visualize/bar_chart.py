"""Bar charts as self-contained SVG text: no script, no external font or style sheet, so the
same file shows in a browser, in an HTML report opened from disk and in a markdown report."""

from __future__ import annotations

from typing import Collection, Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

from xpm.visualize.colors import MARKED_BACKGROUND, SERIES_COLORS

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
FONT_SIZE = 12
# SVG cannot measure text; this is the average advance of a sans-serif glyph at FONT_SIZE,
# generous so that labels never overlap the bars.
CHAR_WIDTH = 7.2
ORIENTATIONS = ("horizontal", "vertical")


def _series_names(rows: Mapping[str, Mapping[str, float | None]], series: Sequence[str] | None) -> list[str]:
    if series is not None:
        return list(series)
    names: list[str] = []
    for values in rows.values():
        names.extend(name for name in values if name not in names)
    return names


def _text(x: float, y: float, text: str, **attributes) -> str:
    extra = "".join(f" {name.replace('_', '-')}={quoteattr(str(value))}" for name, value in attributes.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(text)}</text>'


def _legend(series: list[str], marked_name: str | None, top: float, left: float) -> list[str]:
    """A swatch and name per series (and for the marked band), in one row."""
    parts, x = [], left
    entries = [(name, SERIES_COLORS[i % len(SERIES_COLORS)]) for i, name in enumerate(series)]
    if marked_name:
        entries.append((marked_name, MARKED_BACKGROUND))
    for name, color in entries:
        parts.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="12" height="12" fill="{color}" stroke="#888" stroke-width="0.5"/>')
        parts.append(_text(x + 16, top + 10, name))
        x += 16 + len(name) * CHAR_WIDTH + 18
    return parts


def bar_chart_svg(
    rows: Mapping[str, Mapping[str, float | None]],
    *,
    series: Sequence[str] | None = None,
    marked: Collection[str] = (),
    marked_name: str = "marked",
    orientation: str = "horizontal",
    title: str = "",
    value_format: str = "{:g}",
    bar_length: int = 320,
    bar_thickness: int = 12,
) -> str:
    """An SVG document: per row label (in ``rows``' order) a group of bars, one per series
    (``rows[label][series]``; None or absent draws no bar and writes "n/a"), the value written
    at the end of each bar, labels in ``marked`` on a highlighted band that the legend names
    ``marked_name``, and a legend of the series. ``orientation`` "horizontal" puts labels on the
    left and bars to the right (long label lists); "vertical" puts bars upright over slanted
    labels (few labels)."""
    if orientation not in ORIENTATIONS:
        raise ValueError(f"orientation {orientation!r}: use one of {', '.join(ORIENTATIONS)}.")
    if not rows:
        raise ValueError("a bar chart needs at least one row.")
    names = _series_names(rows, series)
    if not names:
        raise ValueError("a bar chart needs at least one series.")
    values = [v for row in rows.values() for v in row.values() if v is not None]
    if any(v < 0 for v in values):
        raise ValueError(f"bar values must be zero or more; got {min(values)}.")
    peak = max(values, default=0.0) or 1.0
    colors = {name: SERIES_COLORS[i % len(SERIES_COLORS)] for i, name in enumerate(names)}
    marked = set(marked) & set(rows)
    labels = list(rows)
    label_room = max(len(label) for label in labels) * CHAR_WIDTH + 8
    value_room = max([len("n/a")] + [len(value_format.format(v)) for v in values]) * CHAR_WIDTH + 8
    margin = 10.0
    body: list[str] = []
    top = margin
    if title:
        body.append(_text(margin, top + 14, title, font_weight="bold", font_size=FONT_SIZE + 2))
        top += 24
    legend_top = top
    top += 26

    def value_text(value: float | None) -> str:
        return "n/a" if value is None else value_format.format(value)

    if orientation == "horizontal":
        group = bar_thickness * len(names) + 6
        bars_left = margin + label_room
        for index, label in enumerate(labels):
            y = top + index * group
            if label in marked:
                body.append(f'<rect x="{margin - 4:.1f}" y="{y - 2:.1f}" width="{label_room + bar_length + value_room:.1f}" '
                            f'height="{group - 2:.1f}" fill="{MARKED_BACKGROUND}"/>')
            body.append(_text(bars_left - 6, y + group / 2 + 1, label, text_anchor="end", dominant_baseline="middle",
                              font_weight="bold" if label in marked else "normal"))
            for number, name in enumerate(names):
                value = rows[label].get(name)
                bar_y = y + number * bar_thickness
                length = 0.0 if value is None else bar_length * value / peak
                if value is not None:
                    body.append(f'<rect x="{bars_left:.1f}" y="{bar_y:.1f}" width="{length:.1f}" height="{bar_thickness - 1}" '
                                f'fill="{colors[name]}"><title>{escape(f"{label} {name}: {value_text(value)}")}</title></rect>')
                body.append(_text(bars_left + length + 4, bar_y + bar_thickness / 2, value_text(value),
                                  dominant_baseline="middle", font_size=FONT_SIZE - 2, fill="#333"))
        width = bars_left + bar_length + value_room + margin
        height = top + len(labels) * group + margin
    else:
        # Upright bars are as wide as their value text (written smaller), so values never collide.
        slot = max(bar_thickness, round((value_room - 8) * 0.75) + 2)
        column = slot * len(names) + 10
        # Slanted labels reach left of their column by about 0.7 of their length.
        first_x = margin + max(0.0, label_room * 0.72 - column / 2)
        chart_bottom = top + bar_length + 16
        for index, label in enumerate(labels):
            x = first_x + index * column
            if label in marked:
                body.append(f'<rect x="{x - 3:.1f}" y="{top:.1f}" width="{column - 4:.1f}" '
                            f'height="{chart_bottom - top + label_room * 0.72:.1f}" fill="{MARKED_BACKGROUND}"/>')
            for number, name in enumerate(names):
                value = rows[label].get(name)
                bar_x = x + number * slot
                length = 0.0 if value is None else bar_length * value / peak
                if value is not None:
                    body.append(f'<rect x="{bar_x:.1f}" y="{chart_bottom - length:.1f}" width="{slot - 1}" '
                                f'height="{length:.1f}" fill="{colors[name]}"><title>{escape(f"{label} {name}: {value_text(value)}")}</title></rect>')
                body.append(_text(bar_x + slot / 2, chart_bottom - length - 4, value_text(value),
                                  text_anchor="middle", font_size=FONT_SIZE - 3, fill="#333"))
            label_x, label_y = x + (column - 10) / 2, chart_bottom + 6
            body.append(_text(label_x, label_y, label, text_anchor="end", dominant_baseline="hanging",
                              transform=f"rotate(-45 {label_x:.1f} {label_y:.1f})",
                              font_weight="bold" if label in marked else "normal"))
        width = first_x + len(labels) * column + margin
        height = chart_bottom + label_room * 0.72 + margin
    legend = _legend(names, marked_name if marked else None, legend_top, margin)
    width = max(width, margin * 2 + sum(16 + len(n) * CHAR_WIDTH + 18 for n in names + ([marked_name] if marked else [])))
    description = escape(title or "bar chart")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family={quoteattr(FONT)} font-size="{FONT_SIZE}" role="img">\n'
        f"<title>{description}</title>\n"
        f'<rect width="100%" height="100%" fill="#ffffff"/>\n' + "\n".join(legend + body) + "\n</svg>\n"
    )
