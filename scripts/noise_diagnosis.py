"""Measurement: why g_Noise falls to its floor. For the student as training starts (the teacher's
weights with a fresh g_Noise) and for trained students, per pseudo label of a dataset version:
the share of pixels where the student's mask disagrees with the pseudo mask, the mean predicted
noise, and whether Eq. 6's gradient pushes that noise up, split by correct / misplaced / absent
labels (the world's truth). Prints and writes JSON.

    .venv/bin/python scripts/noise_diagnosis.py --world W --teacher T --data ROOT/NAME/vN \
        --student NAME=STUDENT/model.pt [--student ...] [--images 200]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench_common import report


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, required=True)
    parser.add_argument("--teacher", type=Path, required=True, help="the student at step 0: these weights, a fresh g_Noise")
    parser.add_argument("--data", required=True, help="the dataset version the students trained on")
    parser.add_argument("--student", action="append", default=[], help="NAME=model.pt of a trained student (repeatable)")
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--samples", type=int, default=256, help="noise draws per label for the gradient's sign")
    parser.add_argument("--json", type=Path, default=Path("runs/bench/noise_diagnosis.json"))
    args = parser.parse_args(argv)

    import torch

    from schemas.split import read_split
    from trainers.evaluation.noise_diagnosis import measure_mask_agreement
    from trainers.evaluation.pseudo_label_quality import category_of_nouns
    from xpm.modeling.checkpoint import detector_from_checkpoint, read_checkpoint
    from xpm.modeling.student import RobustStudent, student_from_checkpoint

    torch.manual_seed(0)
    cpu = torch.device("cpu")
    models = {"step 0 (teacher weights, fresh g_Noise)": RobustStudent(detector_from_checkpoint(read_checkpoint(args.teacher), cpu))}
    for entry in args.student:
        name, _, path = entry.partition("=")
        models[name] = student_from_checkpoint(read_checkpoint(path), cpu)
    category_of = category_of_nouns(read_split(args.world / "split.json"))
    truth = args.world / "captioned" / "instances_all.json"
    measured = {name: measure_mask_agreement(model, args.data, truth, category_of, images=args.images, samples=args.samples)
                for name, model in models.items()}
    return report({"world": str(args.world), "data": args.data, "images": args.images, "samples": args.samples,
                   "students": measured}, args.json)


if __name__ == "__main__":
    main()
