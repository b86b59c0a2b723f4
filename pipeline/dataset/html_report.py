"""A dataset version as a static HTML report (``xpm dataset report``): counts, nouns by frequency
(a chart), rejects by reason, alignment scores (a histogram), lineage, and a gallery of rendered
samples.

Plain files with relative links (``index.html``, ``nouns.png``/``.svg``, ``scores.png``/``.svg``,
``samples/*.png``) and no
script, so the folder opens from disk or from any static file host. ``index.html`` is written
last: a report folder whose index exists is complete.
"""

from __future__ import annotations

import logging
from collections import Counter
from html import escape
from pathlib import Path
from urllib.parse import quote

from pipeline.dataset.inspect import SCORE_BINS, flatten, never_labelled, nouns_by_frequency, score_distribution
from pipeline.dataset.render import CONTACT_SHEET, write_sample_pictures
from xpm.io.dataset_version import DatasetVersion
from xpm.config import ConfigError
from xpm.io.atomic import write_text_atomically
from xpm.progress import LOGGER
from xpm.visualize.charts import bar_chart, histograms, save_chart

INDEX = "index.html"
NOUN_CHART = "nouns"
SCORE_CHART = "scores"
SAMPLES_DIR = "samples"

_STYLE = """
body { font-family: DejaVu Sans, Helvetica, Arial, sans-serif; margin: 2em; color: #222; max-width: 80em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; } td, th { padding: 0.2em 0.8em; text-align: left; border-bottom: 1px solid #eee; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: 0.9em; word-break: break-all; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 1em; }
.gallery figure { margin: 0; } .gallery img { width: 100%; height: auto; image-rendering: auto; border: 1px solid #ccc; }
.gallery figcaption { font-size: 0.85em; } .muted { color: #777; }
"""


def _table(headers: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="number">{escape(str(v))}</td>' if i in numeric else f"<td>{escape(str(v))}</td>"
                         for i, v in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _never_labelled_section(version: DatasetVersion) -> str:
    nouns = never_labelled(version)
    if not nouns:
        return "<p>Every caption noun has at least one label.</p>"
    rows = [[noun.word, noun.mentions, ", ".join(f"{r} {n}" for r, n in noun.reasons.items())] for noun in nouns]
    return _table(["noun", "mentions", "why no label"], rows, numeric={1})


def _rejects_section(version: DatasetVersion) -> str:
    rejects = version.rejects
    if not rejects:
        return "<p>No rejects: every sample read is in a shard.</p>"
    by_reason = Counter((row["stage"], row["reason"]) for row in rejects)
    example = {}
    for row in rejects:
        example.setdefault((row["stage"], row["reason"]), row)
    rows = [[reason, stage, count, f"{example[(stage, reason)]['key']}: {example[(stage, reason)]['detail']}"]
            for (stage, reason), count in sorted(by_reason.items(), key=lambda item: (-item[1], item[0]))]
    return _table(["reason", "stage", "samples", "for example"], rows, numeric={2})


def _gallery(version: DatasetVersion, out_dir: Path, samples: int) -> str:
    if not version.manifest["counts"]["samples"]:
        return "<p>This version holds no samples.</p>"
    written = write_sample_pictures(version, out_dir / SAMPLES_DIR, samples)
    figures = []
    for sample, path in written:
        nouns = ", ".join(f"{word} {score:.2f}" for word, score in zip(sample.words, sample.scores))
        source = f"{SAMPLES_DIR}/{quote(path.name)}"
        figures.append(
            f'<figure><a href="{source}"><img src="{source}" alt="{escape(sample.key)}"></a>'
            f"<figcaption><b>{escape(sample.key)}</b> <span class=\"muted\">({escape(sample.shard)})</span><br>"
            f"{escape(sample.caption)}<br><span class=\"muted\">pseudo labels (teacher score): {escape(nouns)}</span>"
            "</figcaption></figure>"
        )
    return (f'<p>The first {len(written)} samples in shard order; each noun\'s pseudo box and mask in its own colour, '
            f'with the teacher\'s score. All on one sheet: <a href="{SAMPLES_DIR}/{CONTACT_SHEET}">{CONTACT_SHEET}</a>.</p>'
            f'<div class="gallery">{"".join(figures)}</div>')


def _chart_html(stem: str, alt: str) -> str:
    return f'<a href="{stem}.svg"><img src="{stem}.png" alt="{escape(alt)}"></a>'


def _scores_section(version: DatasetVersion, out_dir: Path) -> str:
    # Every label of every shard is read here: on a large version the report's longest step.
    logging.getLogger(LOGGER).info(f"dataset report: reading the labels of {len(version.manifest['shards'])} shard(s) "
                                   "for the alignment scores")
    scores = score_distribution(version)
    chart = ""
    if scores.kept_logits or scores.unlabeled_logits:
        save_chart(histograms({"kept": scores.kept_logits, "left unlabeled": scores.unlabeled_logits},
                              title="Eq. 2 score of caption nouns", xlabel="score (logit)"), out_dir / SCORE_CHART)
        chart = _chart_html(SCORE_CHART, "alignment scores of kept and unlabeled nouns")
    bins = [[f"{low:.1f}-{high:.1f}", count] for low, high, count in zip(SCORE_BINS, SCORE_BINS[1:], scores.kept_by_score_bin)]
    quantiles = [[which, len(getattr(scores, f"{which}_logits")), *(f"{v:.3f}" for v in values)]
                 for which in ("kept", "unlabeled") if (values := scores.quantiles(which)) is not None]
    rule = version.manifest["lineage"]["config"].get("alignment", "eq2")
    return (f"<p>Alignment rule <code>{escape(rule)}</code>. Kept labels by teacher score (softmax over background "
            "and the caption's nouns):</p>" + _table(["score", "labels"], bins, numeric={1})
            + "<p>Eq. 2 score (logit) of the labels kept and of the caption nouns the rule left unlabeled:</p>"
            + _table(["labels", "count", "min", "10%", "median", "90%", "max"], quantiles, numeric={1, 2, 3, 4, 5, 6})
            + chart)


def write_html_report(version: DatasetVersion, out_dir: Path, *, samples: int = 24, top: int = 30) -> Path:
    """Write the report into ``out_dir`` (an existing folder); the path of its ``index.html``."""
    if top < 1:
        raise ConfigError(f"--top {top}: chart at least 1 noun.")
    manifest = version.manifest
    counts, lineage = manifest["counts"], manifest["lineage"]
    nouns = nouns_by_frequency(version)
    if nouns:
        shown = nouns[:top]
        figure = bar_chart({row["word"]: {"mentions": row["count"]} for row in shown},
                           title=f"nouns by frequency (top {len(shown)} of {len(nouns)})", value_format="{:d}")
        save_chart(figure, out_dir / NOUN_CHART)
        nouns_html = _chart_html(NOUN_CHART, "nouns by frequency")
    else:
        nouns_html = "<p>The caption vocabulary is empty.</p>"
    count_rows = [
        ["samples", counts["samples"]], ["shards", len(manifest["shards"])], ["samples read", counts["samples_read"]],
        ["rejects", counts["rejects"]], ["noun mentions", counts["nouns"]], ["vocabulary (distinct nouns)", counts["vocabulary"]],
    ]
    lineage_rows = [[key, value] for key, value in flatten({k: v for k, v in lineage.items() if k != "inputs"}).items()]
    input_rows = [[i["shard"], i["samples_read"], i["bytes"], i["sha256"][:16], i["path"]] for i in lineage["inputs"]]
    title = escape("/".join(version.path.rstrip("/").split("/")[-2:]))
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>xpm dataset {title}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>Dataset version {title}</h1>
<p class="muted"><code>{escape(version.path)}</code></p>
<nav><a href="#counts">counts</a> · <a href="#nouns">nouns</a> · <a href="#rejects">rejects</a> ·
<a href="#scores">alignment scores</a> · <a href="#lineage">lineage</a> · <a href="#gallery">gallery</a></nav>
<h2 id="counts">Counts</h2>
{_table(["", "count"], count_rows, numeric={1})}
<h2 id="nouns">Nouns by frequency</h2>
{nouns_html}
<h3>Caption nouns never labelled</h3>
{_never_labelled_section(version)}
<h2 id="rejects">Rejects by reason</h2>
{_rejects_section(version)}
<h2 id="scores">Alignment scores</h2>
{_scores_section(version, out_dir)}
<h2 id="lineage">Lineage</h2>
{_table(["field", "value"], lineage_rows)}
<h3>Input shards</h3>
{_table(["shard", "samples read", "bytes", "sha256", "path"], input_rows, numeric={1, 2})}
<h2 id="gallery">Gallery</h2>
{_gallery(version, out_dir, samples)}
</body>
</html>
"""
    index = out_dir / INDEX
    write_text_atomically(index, page)
    return index
