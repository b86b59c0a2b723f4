"""OUT/experiment.md and OUT/experiment.png/svg: the experiment's table, paired differences and
claims, every figure with its interval."""

from __future__ import annotations

from pathlib import Path

from xpm.io.atomic import write_text_atomically

CHART = "experiment"


def interval_cell(entry: dict | None) -> str:
    """``mean [low, high]`` of an interval entry; ``-`` for none."""
    if not entry:
        return "-"
    low, high = entry["ci95"]
    return f"{entry['mean']:.1f} [{low:.1f}, {high:.1f}]"


def claim_evidence(claim: dict) -> str:
    """What a claim's verdict was decided on, in words: the reason it could not be, the share of a
    gap, or the interval of the difference."""
    if "why" in claim:
        return claim["why"]
    if claim.get("share"):
        low, high = claim["share"]["ci95"]
        return f"share {100 * claim['share']['mean']:.0f}% [{100 * low:.0f}%, {100 * high:.0f}%]"
    return "; ".join(f"{group} {interval_cell(claim[group])}" for group in ("target", "base") if group in claim)


def _sd(entry: dict) -> str:
    return "-" if entry["sd_seeds"] is None else f"{entry['sd_seeds']:.2f}"


def markdown(summary: dict) -> str:
    config = summary["config"]
    lines = [
        f"# Experiment on `{config['world']}`",
        "",
        f"Generalized {summary['iou_type']} AP50 (%) on `{summary['part']}/` ({summary['images']} images); teacher "
        f"`{config['teacher']}`, version `{config['data']}`; {config['threads']} torch thread(s) per run.",
        f"Mean over seeds and 95% interval: {summary['interval_method']}.",
        "",
        "| configuration | seeds | base | target | base sd | target sd | target per seed |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, entry in summary["configs"].items():
        per_seed = ", ".join(f"{run['target']:.1f}" for run in entry["runs"])
        lines.append(f"| {name} | {len(entry['seeds'])} | {interval_cell(entry['base'])} | {interval_cell(entry['target'])} | "
                     f"{_sd(entry['base'])} | {_sd(entry['target'])} | {per_seed} |")
    lines += ["", "## Differences, paired by seed and by image resample", "",
              "| difference | seeds | base | target | target: seeds part | target: images part |", "|---|---:|---:|---:|---:|---:|"]
    for name, entry in summary["paired"].items():
        seeds_part = entry["target"]["ci95_seeds"]
        seeds_text = "-" if seeds_part is None else f"[{seeds_part[0]:.1f}, {seeds_part[1]:.1f}]"
        images_part = entry["target"]["ci95_images"]
        lines.append(f"| {name} | {len(entry['seeds'])} | {interval_cell(entry['base'])} | {interval_cell(entry['target'])} | {seeds_text} | "
                     f"[{images_part[0]:.1f}, {images_part[1]:.1f}] |")
    lines += ["", "## Claims", ""]
    if not summary["claims"]:
        lines.append("None of the paper's claims can be decided from these configurations (claim 1 needs gt+x+m+alpha).")
    for number, claim in summary["claims"].items():
        lines.append(f"- ({number}) **{'HOLDS' if claim['holds'] else 'DOES NOT HOLD'}**: {claim['claim']}. {claim_evidence(claim)}; "
                     f"decided on the {claim['decided_on']}.")
    lines += ["", f"![mean and 95% interval per configuration]({CHART}.png)", ""]
    return "\n".join(lines)


def write_report(summary: dict, out: Path) -> Path:
    from xpm.visualize.charts import interval_chart, save_chart

    panels = {group: {name: (entry[group]["mean"], *entry[group]["ci95"], [run[group] for run in entry["runs"]])
                      for name, entry in summary["configs"].items()}
              for group in ("base", "target")}
    save_chart(interval_chart(panels, title=f"Generalized {summary['iou_type']} AP50 on {summary['part']}/: mean, 95% "
                                            "interval (bar) and each seed (dots)", xlabel="AP50 (%)"), out / CHART)
    path = out / "experiment.md"
    write_text_atomically(path, markdown(summary))
    return path
