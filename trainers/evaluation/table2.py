"""The paper's evaluation (section 4.1, Table 2): AP50 for bbox and segm, constrained (base
vocabulary on images with base objects; target vocabulary on images with target objects) and
generalized (base + target vocabulary on every image, averaged over base, target and all)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from schemas.split import ClassSplit
from trainers.data.coco_instances import category_ids_by_name, check_image_folder, load_coco
from trainers.evaluation.coco_ap import IOU_TYPES, ImageMatches, ap50_per_category, match_detections, mean_ap
from trainers.evaluation.inference import predict_coco
from xpm.modeling.detector import OpenVocabMaskRCNN

Embed = Callable[[Sequence[str]], np.ndarray]


def _images_with(gt, category_ids: set[int]) -> list[int]:
    return sorted(
        i for i in gt.imgs if any(a["category_id"] in category_ids and not a.get("iscrowd", 0) for a in gt.imgToAnns.get(i, []))
    )


def evaluate_table2(
    model: OpenVocabMaskRCNN,
    embed: Embed,
    gt_path: str | Path,
    image_dir: str | Path,
    split: ClassSplit,
    *,
    batch_size: int,
    device: torch.device,
    mask_threshold: float,
) -> tuple[dict, dict[str, ImageMatches]]:
    """``{"bbox": {"constrained": {"base", "target"}, "generalized": {"base", "target", "all"}},
    "segm": {...}, "per_class": {iou_type: {class: generalized AP50}}, "images": {...}}``, AP50 in
    %; and per IoU type the generalized setting's matches, from which AP50 follows for any
    resampling of the images (``trainers.evaluation.intervals``)."""
    gt = load_coco(gt_path)
    image_dir = Path(image_dir)
    check_image_folder(gt, image_dir, gt_path)
    names = split.base + split.target
    ids = category_ids_by_name(gt, names, str(gt_path))
    base_ids, target_ids = [ids[n] for n in split.base], [ids[n] for n in split.target]
    base_images, target_images, all_images = _images_with(gt, set(base_ids)), _images_with(gt, set(target_ids)), sorted(gt.imgs)
    # The three settings' vocabularies, each scored on the one pass over every image.
    settings = {"base": (split.base, base_images), "target": (split.target, target_images), "generalized": (names, all_images)}
    vocabularies = {
        setting: (torch.from_numpy(embed(list(vocabulary))), [ids[n] for n in vocabulary], set(images))
        for setting, (vocabulary, images) in settings.items()
    }
    predictions = predict_coco(model, [(i, image_dir / gt.imgs[i]["file_name"]) for i in all_images], vocabularies,
                               batch_size=batch_size, device=device, mask_threshold=mask_threshold,
                               truth_categories={i: {a["category_id"] for a in gt.imgToAnns.get(i, [])} for i in all_images})
    result: dict = {"per_class": {}}
    matches = {}
    for iou_type in IOU_TYPES:
        matches[iou_type] = match_detections(gt, predictions["generalized"], iou_type, all_images, base_ids + target_ids)
        general = matches[iou_type].ap50()
        result[iou_type] = {
            "constrained": {
                "base": mean_ap(ap50_per_category(gt, predictions["base"], iou_type, base_images, base_ids), base_ids),
                "target": mean_ap(ap50_per_category(gt, predictions["target"], iou_type, target_images, target_ids), target_ids),
            },
            "generalized": {
                "base": mean_ap(general, base_ids),
                "target": mean_ap(general, target_ids),
                "all": mean_ap(general, base_ids + target_ids),
            },
        }
        result["per_class"][iou_type] = {n: general[ids[n]] for n in names if ids[n] in general}
    result["images"] = {"base": len(base_images), "target": len(target_images), "all": len(all_images)}
    return result, matches


def _cell(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:5.1f}"


def format_table2(rows: dict[str, dict]) -> str:
    """Rows of results in the layout of the paper's Table 2 (AP50, %)."""
    header = f"{'model':<22} {'IoU':<5} | {'constrained':^13} | {'generalized':^19}"
    sub = f"{'':<22} {'':<5} | {'base':>5} {'target':>7} | {'base':>5} {'target':>7} {'all':>5}"
    lines = [header, sub, "-" * len(sub)]
    for name, result in rows.items():
        for iou_type in IOU_TYPES:
            c, g = result[iou_type]["constrained"], result[iou_type]["generalized"]
            lines.append(
                f"{name:<22} {iou_type:<5} | {_cell(c['base'])} {_cell(c['target']):>7} | "
                f"{_cell(g['base'])} {_cell(g['target']):>7} {_cell(g['all'])}"
            )
    return "\n".join(lines)
