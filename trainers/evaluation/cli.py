"""``xpm eval``: the paper's Table 2 (AP50, bbox and segm, constrained and generalized)."""

from __future__ import annotations

HELP = "evaluate a detector checkpoint: COCO AP50 (bbox, segm), constrained base/target and generalized base/target/all"


def add_arguments(parser) -> None:
    parser.add_argument("--model", required=True, help="checkpoint (model.pt of train-teacher or train-student)")
    parser.add_argument("--gt", required=True, help="COCO instances JSON of the validation images (base and target classes)")
    parser.add_argument("--images", required=True, help="folder of the validation images")
    parser.add_argument("--split", required=True, help="split JSON: base classes the model trained on, target classes")
    parser.add_argument("--json", help="write the results here (AP50 in percent)")
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--name", help="row name in the printed table (default: the checkpoint's folder)")


def evaluate_checkpoint(model_path, gt, images, split_path, *, device: str = "auto", batch_size: int = 8) -> dict:
    from pathlib import Path

    from schemas.split import read_split
    from xpm.device import resolve_device
    from trainers.evaluation.table2 import evaluate_table2
    from xpm.modeling.checkpoint import CheckpointError, detector_from_checkpoint, read_checkpoint, text_embedder_for

    if batch_size < 1:
        raise ValueError(f"--batch-size {batch_size}: at least 1.")
    split = read_split(split_path)
    checkpoint = read_checkpoint(model_path)
    if set(checkpoint.gt_classes) != set(split.base):
        only_model = sorted(set(checkpoint.gt_classes) - set(split.base))
        only_split = sorted(set(split.base) - set(checkpoint.gt_classes))
        raise CheckpointError(
            f"{model_path} was trained on other base classes than {split_path} names (only in the checkpoint: "
            f"{only_model[:5]}; only in the split: {only_split[:5]}); evaluate with the split it was trained with."
        )
    embedder = text_embedder_for(checkpoint, model_path)
    torch_device = resolve_device(device)
    model = detector_from_checkpoint(checkpoint, torch_device)
    result = evaluate_table2(
        model, embedder.embed, gt, images, split,
        batch_size=batch_size, device=torch_device, mask_threshold=checkpoint.model_config.mask_threshold,
    )
    result["meta"] = {
        "model": str(Path(model_path)),
        "gt": str(gt),
        "split": str(split_path),
        "text_model": checkpoint.text_model.id,
        "score_thresh": checkpoint.model_config.score_thresh,
        "nms_thresh": checkpoint.model_config.nms_thresh,
        "detections_per_image": checkpoint.model_config.detections_per_image,
        "mask_threshold": checkpoint.model_config.mask_threshold,
    }
    return result


def run(args) -> int:
    import json
    from pathlib import Path

    from trainers.evaluation.table2 import format_table2
    from xpm.io.atomic import write_text_atomically

    result = evaluate_checkpoint(args.model, args.gt, args.images, args.split, device=args.device, batch_size=args.batch_size)
    print(format_table2({args.name or Path(args.model).parent.name or "model": result}))
    if args.json:
        write_text_atomically(args.json, json.dumps(result, indent=2, allow_nan=False, default=str) + "\n")
        print(f"wrote {args.json}")
    return 0
