"""Measurement report: several `xpm experiment` folders (one per world) as one markdown table:
per world and configuration the target and base AP50 (mean [95% interval]) and the seed-to-seed
standard deviation with its 95% interval, then every claim's verdict with the interval it was decided on.

    .venv/bin/python scripts/experiment_table.py NAME=runs/w_s1/experiment NAME=... [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench_common import report

from commands.experiment.report import claim_evidence, interval_cell
from trainers.evaluation.intervals import sd_interval


def _sd_cell(group: dict) -> str:
    if group.get("sd_seeds") is None:
        return "-"
    low, high = sd_interval(group["sd_seeds"], group["n"])
    return f"{group['sd_seeds']:.2f} [{low:.2f}, {high:.2f}]"


def table(experiments: dict[str, dict]) -> str:
    lines = ["| world | configuration | seeds | target AP50 | base AP50 | target sd [95%] | base sd [95%] |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for world, summary in experiments.items():
        for name, entry in summary["configs"].items():
            lines.append(f"| {world} | {name} | {len(entry['seeds'])} | {interval_cell(entry['target'])} | {interval_cell(entry['base'])} | "
                         f"{_sd_cell(entry['target'])} | {_sd_cell(entry['base'])} |")
    lines += ["", "| world | claim | verdict | decided on |", "|---|---|---|---|"]
    for world, summary in experiments.items():
        for number, claim in summary["claims"].items():
            lines.append(f"| {world} | {number}: {claim['claim']} | {'holds' if claim['holds'] else '**does not hold**'} | "
                         f"{claim_evidence(claim)} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiments", nargs="+", help="NAME=FOLDER of an `xpm experiment` (its experiment.json)")
    parser.add_argument("--json", type=Path, default=Path("runs/bench/experiment_table.json"))
    args = parser.parse_args(argv)
    experiments = {}
    for entry in args.experiments:
        name, _, folder = entry.partition("=")
        experiments[name] = json.loads((Path(folder) / "experiment.json").read_text())
    text = table(experiments)
    print(text)
    return report({"experiments": {name: str(Path(e.partition("=")[2])) for name, e in zip(experiments, args.experiments)},
                   "markdown": text}, args.json)


if __name__ == "__main__":
    main()
