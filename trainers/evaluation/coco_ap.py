"""AP at IoU 0.5 per category with pycocotools' COCOeval (all areas, 100 detections per image)."""

from __future__ import annotations

import contextlib
import copy
import io
from typing import Sequence

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

IOU_TYPES = ("bbox", "segm")


def _results_coco(gt: COCO, results: list[dict]) -> COCO:
    dt = COCO()
    dt.dataset = {"images": copy.deepcopy(gt.dataset["images"]), "categories": copy.deepcopy(gt.dataset["categories"])}
    annotations = []
    for index, result in enumerate(results, start=1):
        x, y, w, h = result["bbox"]
        annotations.append({**result, "id": index, "area": w * h, "iscrowd": 0})
    dt.dataset["annotations"] = annotations
    with contextlib.redirect_stdout(io.StringIO()):
        dt.createIndex()
    return dt


def ap50_per_category(
    gt: COCO, results: list[dict], iou_type: str, image_ids: Sequence[int], category_ids: Sequence[int]
) -> dict[int, float]:
    """AP50 in percent for each category with ground truth on ``image_ids``; categories without
    ground truth there are left out (COCO's convention), so their AP cannot flatter a mean."""
    if iou_type not in IOU_TYPES:
        raise ValueError(f"iou_type {iou_type!r}: one of {', '.join(IOU_TYPES)}.")
    image_ids, category_ids = list(image_ids), list(category_ids)
    with_gt = {a["category_id"] for i in image_ids for a in gt.imgToAnns.get(i, []) if not a.get("iscrowd", 0)}
    # Sorted: COCOeval sorts params.catIds, and the precision array's columns follow that order.
    evaluated = sorted(c for c in set(category_ids) if c in with_gt)
    if not evaluated:
        return {}
    keep = set(image_ids)
    wanted = set(evaluated)
    results = [r for r in results if r["image_id"] in keep and r["category_id"] in wanted]
    if not results:
        return {c: 0.0 for c in evaluated}
    evaluator = COCOeval(gt, _results_coco(gt, results), iou_type)
    evaluator.params.imgIds = image_ids
    evaluator.params.catIds = evaluated
    evaluator.params.iouThrs = np.array([0.5])
    evaluator.params.areaRng = [[0, 1e10]]
    evaluator.params.areaRngLbl = ["all"]
    evaluator.params.maxDets = [100]
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator.evaluate()
        evaluator.accumulate()
    precision = evaluator.eval["precision"][0, :, :, 0, 0]  # [recall thresholds, categories]
    per_category = {}
    for column, category in enumerate(evaluated):
        values = precision[:, column]
        values = values[values > -1]
        per_category[category] = 100.0 * float(values.mean()) if len(values) else 0.0
    return per_category


def mean_ap(per_category: dict[int, float], category_ids: Sequence[int]) -> float | None:
    """The mean over the categories that have ground truth; None when none has."""
    values = [per_category[c] for c in category_ids if c in per_category]
    return float(np.mean(values)) if values else None
