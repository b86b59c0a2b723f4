"""AP at IoU 0.5 per category: pycocotools' COCOeval matches detections to ground truth (all
areas, 100 detections per image); the precision/recall accumulation is done here, over any
weighting of the images, so that a bootstrap over test images re-accumulates the same matches
instead of re-running COCOeval a thousand times."""

from __future__ import annotations

import contextlib
import copy
import io
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

IOU_TYPES = ("bbox", "segm")
MAX_DETECTIONS = 100
# COCO's 101 recall points at which interpolated precision is averaged.
RECALL_POINTS = np.linspace(0.0, 1.0, 101)


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


@dataclass(frozen=True)
class CategoryMatches:
    """One category's detections over the evaluated images, best score first (COCO's order):
    the index of each one's image, whether it matched a ground-truth instance at IoU 0.5, whether
    COCO ignores it (matched to a crowd region); and each image's count of non-ignored instances."""

    image: np.ndarray
    matched: np.ndarray
    ignored: np.ndarray
    instances: np.ndarray

    def ap50(self, weights: np.ndarray) -> np.ndarray:
        """AP50 in percent for each row of ``weights [draws, images]`` (how often each image is
        counted, e.g. a bootstrap resample); NaN where the weighted images hold no instance.
        A weight of 2 gives exactly the AP of the image evaluated twice."""
        weights = np.atleast_2d(weights).astype(np.float64)
        positives = weights @ self.instances
        counted = weights[:, self.image] * ~self.ignored
        true_positive = np.cumsum(counted * self.matched, axis=1)
        false_positive = np.cumsum(counted * ~self.matched, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            recall = true_positive / positives[:, None]
        precision = true_positive / (true_positive + false_positive + np.spacing(1))
        # Interpolated precision: the best precision at any recall at or beyond this one.
        envelope = np.maximum.accumulate(precision[:, ::-1], axis=1)[:, ::-1]
        result = np.full(len(weights), np.nan)
        for row in np.flatnonzero(positives > 0):
            at = np.searchsorted(recall[row], RECALL_POINTS, side="left")
            reached = at < recall.shape[1]
            result[row] = 100.0 * envelope[row, at[reached]].sum() / len(RECALL_POINTS)
        return result


@dataclass(frozen=True)
class ImageMatches:
    """COCOeval's matching of one set of results on ``image_ids``, per category with ground
    truth there; AP50 follows for the images as they are or for any weighting of them."""

    image_ids: np.ndarray
    categories: dict[int, CategoryMatches]

    def ap50(self, weights: np.ndarray | None = None, categories=None) -> dict[int, np.ndarray | float]:
        """Per category (of ``categories``, default all): AP50 in percent (a float without
        ``weights``, else one per row of ``weights [draws, images]``, NaN where a draw holds no
        instance of it)."""
        chosen = {c: m for c, m in self.categories.items() if categories is None or c in categories}
        if weights is None:
            return {c: float(m.ap50(np.ones(len(self.image_ids)))[0]) for c, m in chosen.items()}
        return {c: m.ap50(weights) for c, m in chosen.items()}


def match_detections(gt: COCO, results: list[dict], iou_type: str, image_ids: Sequence[int],
                     category_ids: Sequence[int]) -> ImageMatches:
    """COCOeval's per-image matching of ``results`` on ``image_ids`` for the ``category_ids`` with
    ground truth there; categories without are left out (COCO's convention), so their AP cannot
    flatter a mean."""
    if iou_type not in IOU_TYPES:
        raise ValueError(f"iou_type {iou_type!r}: one of {', '.join(IOU_TYPES)}.")
    image_ids = sorted(image_ids)
    with_gt = {a["category_id"] for i in image_ids for a in gt.imgToAnns.get(i, []) if not a.get("iscrowd", 0)}
    # Sorted: COCOeval sorts params.catIds, and evalImgs follows that order.
    evaluated = sorted(c for c in set(category_ids) if c in with_gt)
    keep, wanted = set(image_ids), set(evaluated)
    results = [r for r in results if r["image_id"] in keep and r["category_id"] in wanted]
    if not evaluated:
        return ImageMatches(np.array(image_ids), {})
    position = {image: index for index, image in enumerate(image_ids)}
    instances = {c: np.zeros(len(image_ids)) for c in evaluated}
    for image in image_ids:
        for annotation in gt.imgToAnns.get(image, []):
            if annotation["category_id"] in wanted and not annotation.get("iscrowd", 0):
                instances[annotation["category_id"]][position[image]] += 1
    per_image = {c: [] for c in evaluated}
    if results:
        evaluator = COCOeval(gt, _results_coco(gt, results), iou_type)
        evaluator.params.imgIds = image_ids
        evaluator.params.catIds = evaluated
        evaluator.params.iouThrs = np.array([0.5])
        evaluator.params.areaRng = [[0, 1e10]]
        evaluator.params.areaRngLbl = ["all"]
        evaluator.params.maxDets = [MAX_DETECTIONS]
        with contextlib.redirect_stdout(io.StringIO()):
            evaluator.evaluate()
        for entry in evaluator.evalImgs:
            if entry is not None and len(entry["dtScores"]):
                per_image[entry["category_id"]].append(entry)
    categories = {}
    for category, entries in per_image.items():
        # a leading empty array lets a category without detections concatenate to empty arrays
        scores = np.concatenate([np.zeros(0)] + [e["dtScores"][:MAX_DETECTIONS] for e in entries])
        order = np.argsort(-scores, kind="mergesort")  # COCOeval.accumulate's order, ties included
        image = np.concatenate([np.zeros(0, np.int64)] + [np.full(len(e["dtScores"][:MAX_DETECTIONS]), position[e["image_id"]])
                                                          for e in entries])
        matched = np.concatenate([np.zeros(0, bool)] + [e["dtMatches"][0, :MAX_DETECTIONS] > 0 for e in entries])
        ignored = np.concatenate([np.zeros(0, bool)] + [e["dtIgnore"][0, :MAX_DETECTIONS] > 0 for e in entries])
        categories[category] = CategoryMatches(image[order].astype(np.int64), matched[order], ignored[order], instances[category])
    return ImageMatches(np.array(image_ids), categories)


def ap50_per_category(gt: COCO, results: list[dict], iou_type: str, image_ids: Sequence[int],
                      category_ids: Sequence[int]) -> dict[int, float]:
    """AP50 in percent for each category with ground truth on ``image_ids``."""
    return match_detections(gt, results, iou_type, image_ids, category_ids).ap50()


def mean_ap(per_category: dict[int, float], category_ids: Sequence[int]) -> float | None:
    """The mean over the categories that have ground truth; None when none has."""
    values = [per_category[c] for c in category_ids if c in per_category]
    return float(np.mean(values)) if values else None


def save_matches(path, matches: dict[str, ImageMatches]) -> None:
    """Matches per IoU type as one ``.npz`` (written whole or not at all)."""
    from xpm.io.atomic import atomic_output

    arrays = {}
    for iou_type, result in matches.items():
        arrays[f"{iou_type}/image_ids"] = result.image_ids
        for category, m in result.categories.items():
            for field in ("image", "matched", "ignored", "instances"):
                arrays[f"{iou_type}/{category}/{field}"] = getattr(m, field)
    with atomic_output(path) as stream:
        np.savez_compressed(stream, **arrays)


def load_matches(path) -> dict[str, ImageMatches]:
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    result = {}
    for iou_type in sorted({name.split("/")[0] for name in arrays}):
        categories = sorted({int(name.split("/")[1]) for name in arrays if name.startswith(f"{iou_type}/") and name.count("/") == 2})
        result[iou_type] = ImageMatches(arrays[f"{iou_type}/image_ids"], {
            c: CategoryMatches(*(arrays[f"{iou_type}/{c}/{field}"] for field in ("image", "matched", "ignored", "instances")))
            for c in categories
        })
    return result
