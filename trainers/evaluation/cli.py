"""``xpm eval``: the paper's Table 2 (AP50, bbox and segm, constrained and generalized)."""

from __future__ import annotations

from xpm.arguments import existing_file, existing_folder

HELP = "evaluate a detector checkpoint: COCO AP50 (bbox, segm), constrained base/target and generalized base/target/all"


def add_arguments(parser) -> None:
    parser.add_argument("--model", type=existing_file, required=True, help="checkpoint (model.pt of train-teacher or train-student)")
    parser.add_argument("--gt", type=existing_file, required=True, help="COCO instances JSON of the validation images (base and target classes)")
    parser.add_argument("--images", type=existing_folder, required=True, help="folder of the validation images")
    parser.add_argument("--split", type=existing_file, required=True, help="split JSON: base classes the model trained on, target classes")
    parser.add_argument("--json", help="write the results here (AP50 in percent)")
    parser.add_argument("--matches", help="keep the generalized setting's per-image matches here (.npz), for intervals over images")
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--oracle", action="store_true",
                        help="the model was trained with target-class ground truth on purpose (an upper bound): accept it")
    parser.add_argument("--name", help="row name in the printed table (default: the checkpoint's folder)")


def run(args) -> int:
    import json
    from pathlib import Path

    from trainers.evaluation.evaluate import evaluate_checkpoint
    from trainers.evaluation.table2 import format_table2
    from xpm.io.atomic import write_text_atomically

    result = evaluate_checkpoint(args.model, args.gt, args.images, args.split, device=args.device, batch_size=args.batch_size,
                                 oracle=args.oracle, matches_path=args.matches)
    counts = result["images"]
    # Which images a figure was measured on decides what it may claim (val/ chooses, test/ reports).
    print(f"evaluated on {args.gt}: {counts['all']} images ({counts['base']} with base, {counts['target']} with target objects)")
    print(format_table2({args.name or Path(args.model).parent.name or "model": result}))
    if args.json:
        write_text_atomically(args.json, json.dumps(result, indent=2, allow_nan=False, default=str) + "\n")
        print(f"wrote {args.json}")
    return 0
