"""OUT/rounds.md and OUT/rounds.png/svg: per round, the labels' quality against the truth and the
students' AP50 with its interval, beside the teacher and the controls."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from commands.experiment.report import claim_evidence, interval_cell
from xpm.io.atomic import write_text_atomically

CHART = "rounds"
GROUPS = ("target", "base", "caption_only")


def _quality(row: dict, group: str) -> str:
    quality = row["label_quality"].get(group)
    if not quality:
        return "-"
    return f"{100 * quality['box_precision']:.1f} / {100 * quality['mask_iou']:.1f} ({quality['labels']})"


def _seconds(row: dict) -> str:
    parts = [f"{key.removesuffix('_s').replace('_', '+')} {value / 60:.1f}" for key, value in row["seconds"].items()]
    return ", ".join(parts) or "-"


def markdown(result: dict) -> str:
    config = result["config"]
    lines = [
        f"# Labelling in rounds on `{config['world']}`",
        "",
        f"Round 1's labels: `{config['data']}` (the teacher's). Each later round is labelled by the previous round's "
        f"`{config['configuration']}` student of seed {config['labeler_seed']}; its students start from the "
        f"{'teacher' if config['init'] == 'teacher' else 'round that labelled it'}. Students: generalized segm AP50 (%) on "
        f"`{result['part']}/` ({result['images']} images), mean over {config['seeds']} seed(s) and 95% interval "
        f"({result['interval_method']}). Labels: box precision / mask IoU (%) against the captioned images' truth, "
        "(number of labels).",
        "",
        "| round | labeler | target labels | base labels | caption-only labels | student target | student base | "
        "target vs previous round | share of the truth-labels gap | minutes (label, train+eval) |",
        "|---:|---|---|---|---|---:|---:|---:|---:|---|",
    ]
    for row in result["rounds"]:
        previous = row["vs_previous"]["target"] if row["vs_previous"] else None
        share = claim_evidence(row["gap"]) if row["gap"] else "-"
        lines.append(f"| {row['round']} | {row['labeler']['kind']} | {_quality(row, 'target')} | {_quality(row, 'base')} | "
                     f"{_quality(row, 'caption_only')} | {interval_cell(row['student']['target'])} | {interval_cell(row['student']['base'])} | "
                     f"{interval_cell(previous)} | {share} | {_seconds(row)} |")
    lines += ["", f"Teacher: target {interval_cell(result['teacher']['target'])}, base {interval_cell(result['teacher']['base'])}."]
    for name, entry in result["controls"].items():
        lines.append(f"{name} (on round 1's version): target {interval_cell(entry['target'])}, base {interval_cell(entry['base'])}.")
    lines += ["", f"![labels and students per round]({CHART}.png)", ""]
    return "\n".join(lines)


def rounds_chart(result: dict) -> Figure:
    figure = Figure(figsize=(9.0, 3.4), layout="constrained")
    labels, students = figure.subplots(1, 2)
    numbers = [row["round"] for row in result["rounds"]]
    for group in GROUPS:
        values = [100 * row["label_quality"][group]["box_precision"] if group in row["label_quality"] else float("nan")
                  for row in result["rounds"]]
        labels.plot(numbers, values, marker="o", label=group.replace("_", "-"))
    labels.set(title="pseudo-box precision (%)", xlabel="round", xticks=numbers)
    labels.legend(fontsize=8)
    for group, marker in (("target", "o"), ("base", "s")):
        means = [row["student"][group]["mean"] for row in result["rounds"]]
        errors = [[m - row["student"][group]["ci95"][0] for m, row in zip(means, result["rounds"])],
                  [row["student"][group]["ci95"][1] - m for m, row in zip(means, result["rounds"])]]
        line = students.errorbar(numbers, means, yerr=errors, marker=marker, capsize=3, label=f"student {group}")
        students.axhline(result["teacher"][group]["mean"], color=line[0].get_color(), linestyle=":", linewidth=1,
                         label=f"teacher {group}")
    for name, entry in result["controls"].items():
        students.axhline(entry["target"]["mean"], color="grey", linestyle="--", linewidth=1, label=f"{name} target")
    students.set(title="students: AP50 (%), mean and 95% interval", xlabel="round", xticks=numbers)
    students.legend(fontsize=7)
    return figure


def write_report(result: dict, out: Path) -> Path:
    from xpm.visualize.charts import save_chart

    save_chart(rounds_chart(result), out / CHART)
    path = out / "rounds.md"
    write_text_atomically(path, markdown(result))
    return path
