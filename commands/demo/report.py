"""OUT/report.md and the figures it shows: per-class AP50 bars, pseudo-label quality per noun,
the Figure-3 noise sheet, reliability weights by kind of label and the training curves."""

from __future__ import annotations

from pathlib import Path

from trainers.evaluation.table2 import format_table2
from commands.demo.claims import Claim
from xpm.io.atomic import write_text_atomically

QUALITY_NOUNS_SHOWN = 40


def per_class_chart(results: dict[str, dict], target: tuple[str, ...]):
    from xpm.visualize.charts import bar_chart

    per_class = {name: result["per_class"]["segm"] for name, result in results.items()}
    classes = sorted(next(iter(per_class.values())), key=lambda c: (c not in target, c))
    rows = {c: {name: values.get(c) for name, values in per_class.items()} for c in classes}
    return bar_chart(rows, marked=target, marked_name="target class", title="Generalized segm AP50 (%) per class",
                     value_format="{:.0f}")


def quality_chart(rows, target: tuple[str, ...]):
    from xpm.visualize.charts import bar_chart

    shown = rows[:QUALITY_NOUNS_SHOWN]
    chart = {f"{r.noun} ({r.count})": {"box precision": 100 * r.box_precision, "mask IoU": 100 * r.mask_iou} for r in shown}
    marked = [f"{r.noun} ({r.count})" for r in shown if r.category in target]
    return bar_chart(chart, marked=marked, marked_name="noun of a target class",
                     title="Pseudo labels vs the synthetic truth (%), most frequent nouns", value_format="{:.0f}")


# losses.csv columns that are bookkeeping, not a curve worth a panel
_NOT_CURVES = ("step", "lr", "seconds")


def training_curves_chart(loss_logs: dict[str, Path]):
    """Every logged term of every run (teacher, students, oracle), a panel per term."""
    from trainers.engine.loss_log import read_loss_log
    from xpm.visualize.charts import curve_panels

    runs = {name: read_loss_log(path) for name, path in loss_logs.items() if path.is_file()}
    terms: list[str] = []
    for rows in runs.values():
        terms += [term for term in (rows[0] if rows else {}) if term not in _NOT_CURVES and term not in terms]
    return curve_panels(runs, terms, title="Training curves (losses.csv of each run)", columns=4)


def reliability_chart(signals: dict[str, dict[str, dict]], group: str = "target"):
    """Median weight of correct, misplaced and absent-object labels under each signal."""
    from xpm.visualize.charts import bar_chart

    rows = {signal: {status: summary[group][f"{status}_median_alpha"] for status in ("correct", "misplaced", "absent")}
            for signal, summary in signals.items() if group in summary}
    return bar_chart(rows, title=f"Median reliability weight of {group}-noun pseudo labels, by what the label is",
                     value_format="{:.2f}")


def _quality_table(quality: dict) -> list[str]:
    """The default rule's labels beside the paper's Eq. 2 labels from the same teacher."""
    rules = {quality["alignment"]: quality["summary"], quality["paper"]["alignment"]: quality["paper"]["summary"]}
    lines = ["| nouns of | alignment | pseudo labels | box precision (IoU >= 0.5) | mean mask IoU |", "|---|---|---:|---:|---:|"]
    for group in ("base", "target", "caption_only", "unmapped", "all"):
        for rule, summary in rules.items():
            if group in summary:
                row = summary[group]
                lines.append(f"| {group} | `{rule}` | {row['labels']} | {100 * row['box_precision']:.1f}% | "
                             f"{100 * row['mask_iou']:.1f}% |")
    return lines


def _reliability_table(signals: dict[str, dict[str, dict]]) -> list[str]:
    def weight(row, status):
        value = row[f"{status}_median_alpha"]
        return f"{row[f'{status}_labels']} / {value:.3g}" if value is not None else f"{row[f'{status}_labels']} / -"

    lines = ["| nouns of | signal | correct: labels / median weight | misplaced | absent object | AUC (correct above the rest) |",
             "|---|---|---:|---:|---:|---:|"]
    for group in ("base", "target", "caption_only", "unmapped", "all"):
        for signal, summary in signals.items():
            if group in summary:
                row = summary[group]
                auc = f"{row['auc']:.2f}" if row["auc"] is not None else "-"
                lines.append(f"| {group} | `{signal}` | {weight(row, 'correct')} | {weight(row, 'misplaced')} | "
                             f"{weight(row, 'absent')} | {auc} |")
    return lines


def _eta_line(eta: dict | None) -> str:
    if eta is None:
        return ("alpha (Eq. 7) is scaled per batch so that a batch's alphas average 1 (`alpha_scale: batch-mean`): "
                "only a pseudo label's noise relative to the others of its batch counts, so there is no eta to calibrate.")
    return (f"eta = {eta['eta']:.6g}: the smallest per-image average noise a calibration student predicts over "
            f"{eta['images']} captioned images (median {eta['median_noise']:.4g}, largest {eta['max_noise']:.4g}).")


def write_report(out: Path, *, header: list[str], results: dict[str, dict], claims: list[Claim], quality: dict,
                 reliability: dict, eta: dict | None, version: Path, timings: dict[str, float], figures: dict[str, str]) -> Path:
    lines = [
        "# xpm demo report",
        "",
        *header,
        "",
        "## Table 2 layout (AP50 %)",
        "",
        "```",
        format_table2(results),
        "```",
        "",
        "Rows: `teacher` (base-class GT, grounded in the captions of the captioned images); `student` (the robust "
        "student, gt+x+m+alpha, from the teacher on the pseudo labels); with `--ablation` the Figure 6 rows `gt+x`, "
        "`gt+x+m` and the `oracle` (the teacher continued for the student's budget with the captioned images' true "
        "masks of base and target classes).",
        "",
        "## The paper's claims on this run",
        "",
        *[f"- {'HOLDS' if c.holds else 'DOES NOT HOLD'}: {c.name}. {c.evidence}" for c in claims],
        "",
        f"![per-class AP50]({figures['per_class']}.png)",
        "",
        "## Pseudo labels (boxes by the alignment rule, Eq. 4 masks) against the synthetic truth",
        "",
        f"Dataset version `{version}` (alignment `{quality['alignment']}`, the students' labels); for comparison "
        f"`{quality['paper']['version']}`, the same teacher's labels under the paper's rule `{quality['paper']['alignment']}` "
        "(argmax over every proposal, a box for every caption noun). Recall is in `xpm study-alignment`.",
        "",
        *_quality_table(quality),
        "",
        f"![pseudo-label quality]({figures['quality']}.png)",
        "",
        "## Noise levels and reliability (Figure 3 style)",
        "",
        _eta_line(eta),
        "",
        "Each captioned image with its pseudo masks, then per caption noun the student's g_Noise over the noun's "
        "region (black to red to yellow, scaled to the sheet's noisiest pixel) with its mean and alpha.",
        "",
        f"![noise sheet]({figures['noise_sheet']})",
        "",
        "Does a reliability weight tell right pseudo labels from wrong ones? The weight the robust student (trained "
        f"with `{reliability['trained_with']}`) gives each pseudo label under each signal (`noise`: Eq. 7's alpha; "
        "`class-score`: the teacher's score; `agreement`: the student's own probability of the label's noun at its box; "
        f"first {reliability['images']} captioned images), by what the label is against the synthetic truth: "
        "correct (box IoU >= 0.5 with an object of the noun's class), misplaced (such an object is there, the box "
        "is not on it) or absent (the caption named an object the image does not hold). Noise weighting can only "
        "pay where the AUC is well above 0.5.",
        "",
        *_reliability_table(reliability["signals"]),
        "",
        f"![reliability by kind of label]({figures['reliability']}.png)",
        "",
        "## Training curves",
        "",
        "Every term of each run's `losses.csv`; the same runs as TensorBoard logs: "
        f"`tensorboard --logdir {out}`.",
        "",
        f"![training curves]({figures['curves']}.png)",
        "",
        "## Stage times (s)",
        "",
        *[f"- {stage}: {seconds:.1f}" for stage, seconds in timings.items()],
        f"- total: {sum(timings.values()):.1f}",
    ]
    path = out / "report.md"
    write_text_atomically(path, "\n".join(lines) + "\n")
    return path
