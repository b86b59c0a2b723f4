"""Benchmark: `xpm eval` of a checkpoint on a world's held-out images, end to end and by phase.

End to end is the command as a user runs it (a fresh process: imports, model, inference, COCO
matching of three vocabularies), timed ``--repeats`` times, median reported. The phases are
timed in this process on the same images: start-up (imports and the checkpoint), inference (the
one pass of the model that scores all three vocabularies, masks pasted and RLE-encoded for the
classes each image's ground truth holds, as evaluation does; and again with every detection
segmented), the matching and AP of the three settings, and the bootstrap over images the
experiment adds.

    .venv/bin/python scripts/bench_eval.py --model RUN/model.pt --world WORLD [--part test] [--json OUT]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_common import report


def end_to_end(model: Path, part: Path, split: Path, repeats: int) -> list[float]:
    command = [sys.executable, "-m", "commands.cli", "eval", "--model", str(model), "--gt", str(part / "instances.json"),
               "--images", str(part / "images"), "--split", str(split), "--device", "cpu", "--quiet"]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def phases(model_path: Path, part: Path, split_path: Path, draws: int) -> dict:
    started = time.perf_counter()
    import torch

    from schemas.split import read_split
    from trainers.data.coco_instances import category_ids_by_name, load_coco
    from trainers.evaluation.coco_ap import ap50_per_category, match_detections
    from trainers.evaluation.inference import predict_coco
    from trainers.evaluation.intervals import group_ap50, image_resamples
    from trainers.evaluation.table2 import _images_with
    from xpm.modeling.checkpoint import detector_from_checkpoint, read_checkpoint, text_embedder_for

    checkpoint = read_checkpoint(model_path)
    embedder = text_embedder_for(checkpoint, model_path)
    model = detector_from_checkpoint(checkpoint, torch.device("cpu"))
    split = read_split(split_path)
    gt = load_coco(part / "instances.json")
    ids = category_ids_by_name(gt, split.base + split.target, "gt")
    startup = time.perf_counter() - started

    base_ids, target_ids = [ids[n] for n in split.base], [ids[n] for n in split.target]
    images = {"base": _images_with(gt, set(base_ids)), "target": _images_with(gt, set(target_ids)),
              "generalized": sorted(gt.imgs)}
    vocabularies = {"base": split.base, "target": split.target, "generalized": split.base + split.target}
    queries = {s: (torch.from_numpy(embedder.embed(list(v))), [ids[n] for n in v], set(images[s])) for s, v in vocabularies.items()}
    paths = [(i, part / "images" / gt.imgs[i]["file_name"]) for i in images["generalized"]]
    settings = dict(batch_size=8, device=torch.device("cpu"), mask_threshold=checkpoint.model_config.mask_threshold)
    truth = {i: {a["category_id"] for a in gt.imgToAnns.get(i, [])} for i in images["generalized"]}
    started = time.perf_counter()
    predictions = predict_coco(model, paths, queries, truth_categories=truth, **settings)
    inference = time.perf_counter() - started
    # the same pass segmenting every detection, as a user's predictions need
    started = time.perf_counter()
    predict_coco(model, paths, queries, **settings)
    inference_all_masks = time.perf_counter() - started

    started = time.perf_counter()
    matches = None
    for iou_type in ("bbox", "segm"):
        for setting, category_ids in (("base", base_ids), ("target", target_ids)):
            ap50_per_category(gt, predictions[setting], iou_type, images[setting], category_ids)
        matches = match_detections(gt, predictions["generalized"], iou_type, images["generalized"], base_ids + target_ids)
    matching = time.perf_counter() - started

    started = time.perf_counter()
    group_ap50(matches, target_ids, image_resamples(len(images["generalized"]), draws, 0))
    bootstrap = time.perf_counter() - started
    return {"startup_s": startup, "inference_s": inference, "inference_every_mask_s": inference_all_masks, "matching_s": matching, "bootstrap_segm_target_s": bootstrap,
            "bootstrap_draws": draws, "images": len(images["generalized"]),
            "detections": sum(len(p) for p in predictions.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="checkpoint (a trained one: detection counts drive the cost)")
    parser.add_argument("--world", type=Path, required=True, help="synthetic world with test/ (or --part val)")
    parser.add_argument("--part", default="test")
    parser.add_argument("--repeats", type=int, default=3, help="end-to-end runs (median reported)")
    parser.add_argument("--draws", type=int, default=1000, help="bootstrap resamples timed")
    parser.add_argument("--json", type=Path, default=Path("runs/bench/eval.json"))
    args = parser.parse_args()

    import torch

    part, split = args.world / args.part, args.world / "split.json"
    times = end_to_end(args.model, part, split, args.repeats)
    result = {
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, {platform.python_version()}",
        "part": args.part,
        "end_to_end_s": {"median": statistics.median(times), "runs": times},
        "phases": phases(args.model, part, split, args.draws),
    }
    result["end_to_end_images_per_s"] = result["phases"]["images"] / result["end_to_end_s"]["median"]
    report(result, args.json)


if __name__ == "__main__":
    main()
