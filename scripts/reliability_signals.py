"""Measurement: how well each reliability signal tells correct pseudo labels from wrong ones,
all computed by one trained student over the same labels of an `xpm demo` run (its synthetic
truth says which labels are correct, misplaced or of an absent object). Prints and writes JSON:
per signal and group of nouns, the AUC of correct against the rest and the median weights.

    .venv/bin/python scripts/reliability_signals.py --run runs/demo --student gt+x+m+alpha [--images 400]
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from bench_common import report

def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="an `xpm demo` output folder")
    parser.add_argument("--student", default="gt+x+m+alpha", help="which of RUN/students/ computes the signals")
    parser.add_argument("--images", type=int, default=400)
    parser.add_argument("--alpha-scale", help="scale the weights as this alpha_scale (default: the student's own)")
    parser.add_argument("--json", type=Path, default=Path("runs/bench/reliability_signals.json"))
    args = parser.parse_args(argv)

    import torch

    from schemas.split import read_split
    from trainers.evaluation.pseudo_label_quality import category_of_nouns
    from trainers.evaluation.reliability_quality import REPORTED_RELIABILITIES, measure_reliability
    from trainers.student.config import StudentConfig
    from xpm.config import load_config
    from xpm.io.dataset_version import open_version
    from xpm.modeling.checkpoint import read_checkpoint
    from xpm.modeling.student import student_from_checkpoint

    split = read_split(args.run / "world" / "split.json")
    groups = split.group_of
    student_dir = args.run / "students" / args.student
    config = load_config(StudentConfig, student_dir / "student_config.yaml")
    settings = config.caption_settings()
    if args.alpha_scale:
        settings = replace(settings, alpha_scale=args.alpha_scale)
    model = student_from_checkpoint(read_checkpoint(student_dir / "model.pt"), torch.device("cpu"))
    version = open_version(str(args.run / "datasets" / "world")).path
    signals = measure_reliability(model, version, args.run / "world" / "captioned" / "instances_all.json",
                                  category_of_nouns(split), groups, settings, images=args.images, base_classes=split.base,
                                  signals=REPORTED_RELIABILITIES)
    return report({"run": str(args.run), "student": args.student, "version": version, "images": args.images,
                   "alpha_scale": settings.alpha_scale,
                   "signals": signals}, args.json)


if __name__ == "__main__":
    main()
