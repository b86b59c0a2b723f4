"""Charts with matplotlib, each saved as PNG (reports, the gallery) and SVG (zoomable).

Built on ``matplotlib.figure.Figure`` rather than pyplot: no global figure state and no GUI
backend, so drawing is safe inside a Beam worker or a training process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Collection, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from xpm.io.atomic import atomic_output
from xpm.visualize.colors import MARKED_BACKGROUND, SERIES_COLORS

FORMATS = ("png", "svg")


def save_chart(figure: Figure, stem: str | Path) -> list[Path]:
    """``stem``.png and ``stem``.svg, each written whole or not at all."""
    paths = []
    for suffix in FORMATS:
        path = Path(stem).with_suffix(f".{suffix}")
        with atomic_output(path) as stream:
            figure.savefig(stream, format=suffix, dpi=110, bbox_inches="tight")
        paths.append(path)
    return paths


def _series_names(rows: Mapping[str, Mapping[str, float | None]], series: Sequence[str] | None) -> list[str]:
    if series is not None:
        return list(series)
    names: list[str] = []
    for values in rows.values():
        names.extend(name for name in values if name not in names)
    return names


def bar_chart(rows: Mapping[str, Mapping[str, float | None]], *, series: Sequence[str] | None = None,
              marked: Collection[str] = (), marked_name: str = "marked", title: str = "", xlabel: str = "",
              value_format: str = "{:g}") -> Figure:
    """Horizontal grouped bars: per row label (top to bottom in ``rows``' order) a bar per series
    (``rows[label][series]``; None or absent: no bar, "n/a" written), each bar's value at its
    end, labels in ``marked`` bold on a highlighted band the legend names ``marked_name``."""
    if not rows:
        raise ValueError("a bar chart needs at least one row.")
    names = _series_names(rows, series)
    if not names:
        raise ValueError("a bar chart needs at least one series.")
    labels = list(rows)
    thickness = 0.8 / len(names)
    figure = Figure(figsize=(7.5, 0.9 + 0.22 * len(labels) * max(1, len(names) * 0.7)))
    axes = figure.add_subplot()
    marked = set(marked) & set(labels)
    for index, label in enumerate(labels):
        if label in marked:
            axes.axhspan(index - 0.45, index + 0.45, color=MARKED_BACKGROUND, zorder=0)
    peak = max([v for row in rows.values() for v in row.values() if v is not None] + [0.0]) or 1.0
    for number, name in enumerate(names):
        positions = np.arange(len(labels)) - 0.4 + thickness * (number + 0.5)
        values = [rows[label].get(name) for label in labels]
        bars = axes.barh(positions, [0 if v is None else v for v in values], height=thickness * 0.95,
                         color=SERIES_COLORS[number % len(SERIES_COLORS)], label=name, zorder=2)
        for bar, value in zip(bars, values):
            axes.text(bar.get_width() + peak * 0.01, bar.get_y() + bar.get_height() / 2,
                      "n/a" if value is None else value_format.format(value), va="center", fontsize=7, color="#333")
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    for tick in axes.get_yticklabels():
        if tick.get_text() in marked:
            tick.set_fontweight("bold")
    axes.set_ylim(len(labels) - 0.5, -0.5)
    axes.set_xlim(0, peak * 1.12)
    axes.set_xlabel(xlabel)
    axes.set_title(title, fontsize=10, loc="left")
    handles, legend_labels = axes.get_legend_handles_labels()
    if marked:
        handles.append(Patch(color=MARKED_BACKGROUND, label=marked_name))
        legend_labels.append(marked_name)
    axes.legend(handles, legend_labels, fontsize=8, loc="lower right")
    axes.grid(axis="x", alpha=0.3, zorder=1)
    return figure


def moving_average(values: Sequence[float], window: int) -> np.ndarray:
    """The mean of each value and the ``window - 1`` before it (fewer at the start)."""
    sums = np.cumsum(np.asarray(values, dtype=float))
    starts = np.concatenate([[0.0], sums])[np.maximum(np.arange(len(sums)) + 1 - window, 0)]
    return (sums - starts) / np.minimum(np.arange(len(sums)) + 1, window)


def curve_panels(runs: Mapping[str, Sequence[Mapping[str, float]]], terms: Sequence[str], *, x: str = "step",
                 title: str = "", columns: int = 3, window: int = 10) -> Figure:
    """A panel per term in ``terms``, a line per run: ``runs[name]`` is a run's rows (as
    ``losses.csv`` reads), ``x`` the column along the horizontal axis. A run without a term has
    no line in that panel. Per-step losses are noisy: each line is the moving average over
    ``window`` steps, over the raw values drawn faintly."""
    if not runs or not terms:
        raise ValueError("curves need at least one run and one term.")
    rows_of_panels = -(-len(terms) // columns)
    figure = Figure(figsize=(3.4 * min(columns, len(terms)), 2.6 * rows_of_panels + 0.4), layout="constrained")
    panels = figure.subplots(rows_of_panels, min(columns, len(terms)), squeeze=False).ravel()
    for axes, term in zip(panels, terms):
        for number, (name, rows) in enumerate(runs.items()):
            points = [(row[x], row[term]) for row in rows if term in row]
            if points:
                steps, values = zip(*points)
                color = SERIES_COLORS[number % len(SERIES_COLORS)]
                axes.plot(steps, values, color=color, linewidth=0.5, alpha=0.25)
                axes.plot(steps, moving_average(values, window), color=color, label=name, linewidth=1.2)
        axes.set_title(term, fontsize=9)
        axes.tick_params(labelsize=7)
        axes.grid(alpha=0.3)
    for axes in panels[len(terms):]:
        axes.set_visible(False)
    handles, labels = max((axes.get_legend_handles_labels() for axes in panels), key=lambda pair: len(pair[1]))
    figure.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4), fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    return figure


def histograms(samples: Mapping[str, Sequence[float]], *, bins: int = 30, title: str = "", xlabel: str = "") -> Figure:
    """Overlaid step histograms, one per named sample, over shared bins."""
    filled = {name: np.asarray(values, dtype=float) for name, values in samples.items() if len(values)}
    if not filled:
        raise ValueError("a histogram needs at least one value.")
    edges = np.histogram_bin_edges(np.concatenate(list(filled.values())), bins=bins)
    figure = Figure(figsize=(6.5, 3.2), layout="constrained")
    axes = figure.add_subplot()
    for number, (name, values) in enumerate(filled.items()):
        axes.hist(values, bins=edges, histtype="step", linewidth=1.5, color=SERIES_COLORS[number % len(SERIES_COLORS)],
                  label=f"{name} ({len(values)})")
    axes.set_xlabel(xlabel)
    axes.set_ylabel("labels")
    axes.set_title(title, fontsize=10, loc="left")
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3)
    return figure


def interval_chart(panels: Mapping[str, Mapping[str, tuple[float, float, float, Sequence[float]]]], *, title: str = "",
                   xlabel: str = "") -> Figure:
    """One panel per name (e.g. base, target): per row its mean, 95% interval ``(mean, low,
    high, single values)`` as a point with a bar, and each single value (a seed's run) as a dot."""
    figure = Figure(figsize=(4.0 * len(panels), 0.45 * max(len(rows) for rows in panels.values()) + 1.2), layout="constrained")
    for number, (panel, rows) in enumerate(panels.items()):
        axes = figure.add_subplot(1, len(panels), number + 1)
        names = list(rows)[::-1]  # first row on top
        for y, name in enumerate(names):
            mean, low, high, singles = rows[name]
            axes.errorbar([mean], [y], xerr=[[mean - low], [high - mean]], fmt="o", color=SERIES_COLORS[0], capsize=4)
            axes.scatter(singles, [y] * len(singles), s=12, color=SERIES_COLORS[1], alpha=0.7, zorder=3)
        axes.set_yticks(range(len(names)), names if number == 0 else [""] * len(names))
        axes.set_ylim(-0.7, len(names) - 0.3)
        axes.set_title(panel, fontsize=10, loc="left")
        axes.set_xlabel(xlabel)
        axes.grid(alpha=0.3, axis="x")
    if title:
        figure.suptitle(title, fontsize=10)
    return figure
