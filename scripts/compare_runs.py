"""Measurement: the paired difference between two sets of finished runs that live in different
experiment or rounds folders (a rounds variant's students against a schedule in the world's
experiment), evaluated on the same part of one world: seed by seed and image resample by
resample, with the intervals `xpm experiment` gives its own configurations.

    .venv/bin/python scripts/compare_runs.py --world runs/w_s11/world \
        prev=runs/w_s11/rounds-prev/experiment/runs/round-2 long=runs/w_s11/experiment/runs/gt+x+m+alpha+long
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench_common import report

from commands.experiment.runs import EVAL_FILE, MATCHES_FILE
from commands.experiment.summary import summarize
from trainers.evaluation.coco_ap import load_matches


def load_runs(folder: Path) -> dict[int, tuple[dict, object]]:
    """seed -> (eval.json, segm matches) of every finished ``seed-S`` run in ``folder``."""
    runs = {}
    for run in sorted(folder.glob("seed-*")):
        if (run / EVAL_FILE).is_file() and (run / MATCHES_FILE).is_file():
            runs[int(run.name.split("-", 1)[1])] = (json.loads((run / EVAL_FILE).read_text()), load_matches(run / MATCHES_FILE)["segm"])
    if not runs:
        raise SystemExit(f"{folder}: no finished run (seed-S/{EVAL_FILE} and {MATCHES_FILE}); give EXPERIMENT/runs/NAME.")
    return runs


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--world", type=Path, required=True)
    parser.add_argument("--part", default="test")
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--json", type=Path, default=Path("runs/bench/compare_runs.json"))
    parser.add_argument("runs", nargs=2, metavar="NAME=EXPERIMENT/runs/CONFIGURATION")
    args = parser.parse_args(argv)
    rows = {}
    for item in args.runs:
        name, _, folder = item.partition("=")
        if not name or not folder or name in rows:
            parser.error(f"{item!r}: give two runs as NAME=FOLDER with two different names.")
        rows[name] = load_runs(Path(folder))
        parts = {result["meta"].get("part") for result, _ in rows[name].values()}
        if parts != {args.part}:
            raise SystemExit(f"{folder}: evaluated on {sorted(map(str, parts))}, not {args.part!r}.")
    first, second = rows
    summary = summarize(rows, world=args.world, part=args.part, draws=args.bootstrap, differences=[(first, second)])
    folders = {name: folder for name, _, folder in (item.partition("=") for item in args.runs)}
    return report({"runs": folders, **summary}, args.json)


if __name__ == "__main__":
    main()
