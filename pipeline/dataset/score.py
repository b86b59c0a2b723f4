"""``xpm dataset score``: a review's verdicts as label precision per noun and overall, each with a
95% Wilson score interval, and the nouns whose interval lies wholly below a threshold.

Per noun, precision = right / (right + wrong) over its reviewed labels; ``unsure`` and unanswered
labels count in neither. The Wilson interval keeps its coverage at small n and at proportions
near 0 or 1, where the normal approximation collapses to a zero-width interval.

The review draws up to ``per_noun`` labels of every noun, so rare nouns are over-represented in
the pooled sample; the overall precision is therefore the stratified estimate, each reviewed
noun's precision weighted by its share of the labels of the reviewed nouns in the version, and
its interval is Wilson's at the effective sample size p(1-p)/Var (Var of the stratified
estimate; the pooled n when every noun's sample is all right or all wrong).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from matplotlib.figure import Figure

from pipeline.dataset.review import labels_by_noun, version_name
from schemas.review import Review, parse_label_id
from schemas.pseudo_label import SchemaError
from xpm.config import ConfigError
from xpm.io.atomic import write_text_atomically
from xpm.io.dataset_version import DatasetVersion
from xpm.visualize.charts import save_chart
from xpm.visualize.colors import SERIES_COLORS

Z95 = 1.959963984540054
SCORES_FILE = "precision.json"
CHART = "precision"
DEFAULT_THRESHOLD = 0.5


def wilson_interval(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``successes / n`` (``n`` > 0)."""
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


@dataclass(frozen=True)
class NounPrecision:
    word: str
    labels: int  # in the version
    right: int
    wrong: int
    unsure: int
    unanswered: int
    precision: float | None  # None: no label of the noun answered right or wrong
    low: float | None
    high: float | None

    @property
    def reviewed(self) -> int:
        return self.right + self.wrong


@dataclass(frozen=True)
class Overall:
    precision: float
    low: float
    high: float
    reviewed: int
    effective_n: float
    nouns: int


@dataclass(frozen=True)
class Scores:
    dataset: str
    threshold: float
    nouns: list[NounPrecision]  # by precision, then noun; nouns without answers last
    overall: Overall | None
    below: list[str]  # nouns whose upper bound is below the threshold

    def to_json(self) -> dict:
        return {"dataset": self.dataset, "threshold": self.threshold, "z": Z95,
                "overall": asdict(self.overall) if self.overall else None,
                "nouns": [asdict(row) for row in self.nouns], "below_threshold": self.below}


def load_review(version: DatasetVersion, path: str | Path, option: str = "--verdicts") -> Review:
    """The review file at ``path``, checked to belong to ``version``: its manifest hash, then
    every label it names (the sample key holds that label, of that noun)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{option} {path} does not exist; save it from the review page (`xpm dataset review`).")
    try:
        review = Review.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{option} {path} is not JSON ({error}); save it from the review page.") from None
    except SchemaError as error:
        raise ConfigError(f"{option} {path}: {error}") from None
    name = version_name(version)
    sha = version.sha256
    if review.version_sha256 != sha:
        raise ConfigError(f"{option} {path} reviews {review.dataset} (manifest sha256 {review.version_sha256[:12]}), "
                          f"not {name} (sha256 {sha[:12]}); review this version with `xpm dataset review {version.path}`.")
    words = {row["key"]: row["nouns"] for row in version.index}
    for label in review.labels:
        key, index = parse_label_id(label.id)
        nouns = words.get(key)
        if nouns is None or index >= len(nouns) or nouns[index] != label.word:
            held = "no such sample" if nouns is None else f"its labels are {', '.join(nouns) or 'none'}"
            raise ConfigError(f"{option} {path}: label {label.id} ({label.word}) is not in {name} ({held}).")
    return review


def _overall(rows: list[NounPrecision]) -> Overall | None:
    answered = [row for row in rows if row.reviewed]
    if not answered:
        return None
    total = sum(row.labels for row in answered)
    weights = [row.labels / total for row in answered]
    estimate = sum(w * row.precision for w, row in zip(weights, answered))
    variance = sum(w * w * row.precision * (1 - row.precision) / row.reviewed for w, row in zip(weights, answered))
    pooled = sum(row.reviewed for row in answered)
    effective = estimate * (1 - estimate) / variance if variance > 0 else pooled
    low, high = wilson_interval(estimate * effective, effective)
    return Overall(estimate, low, high, pooled, effective, len(answered))


def score_review(version: DatasetVersion, review: Review, threshold: float = DEFAULT_THRESHOLD) -> Scores:
    if not 0 < threshold <= 1:
        raise ConfigError(f"--threshold {threshold}: a precision in (0, 1].")
    counts = {word: len(labels) for word, labels in labels_by_noun(version).items()}
    by_noun: dict[str, Counter] = {}
    for label in review.labels:
        by_noun.setdefault(label.word, Counter())[review.verdicts.get(label.id, "unanswered")] += 1
    rows = []
    for word, tally in by_noun.items():
        right, wrong = tally["right"], tally["wrong"]
        interval = wilson_interval(right, right + wrong) if right + wrong else (None, None)
        rows.append(NounPrecision(word, counts[word], right, wrong, tally["unsure"], tally["unanswered"],
                                  right / (right + wrong) if right + wrong else None, *interval))
    rows.sort(key=lambda row: (row.precision is None, row.precision or 0.0, row.word))
    below = [row.word for row in rows if row.high is not None and row.high < threshold]
    return Scores(version_name(version), threshold, rows, _overall(rows), below)


def precision_chart(scores: Scores) -> Figure:
    """Per answered noun its precision (a point) and 95% interval (a line), worst at the top, the
    threshold dashed; nouns wholly below it in the second colour."""
    rows = [row for row in scores.nouns if row.precision is not None]
    figure = Figure(figsize=(7.5, 1.2 + 0.2 * len(rows)))
    axes = figure.add_subplot()
    below = set(scores.below)
    for y, row in enumerate(rows):
        color = SERIES_COLORS[3] if row.word in below else SERIES_COLORS[0]
        axes.plot([row.low, row.high], [y, y], color=color, linewidth=2)
        axes.plot([row.precision], [y], "o", color=color, markersize=4)
    axes.axvline(scores.threshold, color="#555", linestyle="--", linewidth=1)
    axes.set_yticks(range(len(rows)), [f"{row.word} (n={row.reviewed})" for row in rows], fontsize=8)
    axes.set_ylim(len(rows) - 0.5, -0.5)
    axes.set_xlim(-0.02, 1.02)
    axes.set_xlabel("label precision, 95% Wilson interval")
    axes.set_title(f"{scores.dataset}: precision per noun (dashed: threshold {scores.threshold:g})")
    axes.grid(axis="x", alpha=0.3)
    return figure


def write_scores(scores: Scores, out_dir: Path) -> list[Path]:
    written = []
    if scores.overall is not None:
        figure = precision_chart(scores)
        written += save_chart(figure, out_dir / CHART)
    path = out_dir / SCORES_FILE
    write_text_atomically(path, json.dumps(scores.to_json(), indent=2) + "\n")
    return [path, *written]


def _interval(precision: float | None, low: float | None, high: float | None) -> str:
    return "n/a" if precision is None else f"{precision:.2f} [{low:.2f}, {high:.2f}]"


def format_scores(scores: Scores) -> str:
    width = max([len("noun"), *(len(row.word) for row in scores.nouns)])
    lines = [f"{'noun':<{width}}  labels  right  wrong  unsure  precision [95% CI]"]
    for row in scores.nouns:
        lines.append(f"{row.word:<{width}}  {row.labels:>6}  {row.right:>5}  {row.wrong:>5}  {row.unsure:>6}  "
                     f"{_interval(row.precision, row.low, row.high)}")
    overall = scores.overall
    if overall is None:
        lines.append("overall: no label answered right or wrong yet")
    else:
        lines.append(f"overall (each noun weighted by its labels): {_interval(overall.precision, overall.low, overall.high)}, "
                     f"{overall.reviewed} labels answered of {overall.nouns} nouns (effective n {overall.effective_n:.0f})")
    lines.append(f"upper bound below {scores.threshold:g}: " + (", ".join(scores.below) if scores.below else "none"))
    return "\n".join(lines)
