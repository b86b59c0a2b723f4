"""How good a dataset version's pseudo labels are, measured against instance ground truth of the
same captioned images (the synthetic world has it; a user can annotate a sample of theirs).

Per caption noun: the Eq. 2 box is *correct* when it overlaps an instance of the noun's class by
IoU >= 0.5 (a noun naming an absent object can never be correct), and the Eq. 4 mask is scored by
its IoU with the best-overlapping instance of that class (0 when there is none). These are the
two numbers that bound what the student can learn from the version.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
from pycocotools import mask as coco_mask

from xpm.io.dataset_version import DatasetVersion
from schemas.pseudo_label import PseudoLabels
from xpm.io.captioned_shards import read_captioned_shard

BOX_IOU_CORRECT = 0.5


@dataclass(frozen=True)
class NounQuality:
    noun: str
    category: str | None
    count: int
    box_precision: float
    mask_iou: float


def category_of_nouns(split) -> dict[str, str]:
    """Caption noun (as the extractor yields it) -> class name, for every name and synonym."""
    from xpm.nouns import NounExtractor
    from xpm.synth.catalog import CLASSES_BY_NAME

    extract = NounExtractor.from_config()
    mapping = {}
    for name in split.all_classes:
        cls = CLASSES_BY_NAME.get(name)
        for word in (name, *(cls.synonyms if cls else ())):
            for phrase in (word, f"a pair of {word}", cls.plural_name(word) if cls else word):
                for noun in extract(phrase).nouns:
                    mapping.setdefault(noun.lemma, name)
    return mapping


def truth_by_key(truth_json: Path) -> dict[str, list[tuple[str, dict, list[float]]]]:
    """Per image key, its instances as ``(class name, RLE, xywh box)``."""
    data = json.loads(Path(truth_json).read_text())
    names = {c["id"]: c["name"] for c in data["categories"]}
    keys = {image["id"]: (image["file_name"], image["height"], image["width"]) for image in data["images"]}
    truth = defaultdict(list)
    for annotation in data["annotations"]:
        key, height, width = keys[annotation["image_id"]]
        truth[Path(key).stem].append((names[annotation["category_id"]], _rle(annotation["segmentation"], height, width), annotation["bbox"]))
    return truth


def _rle(segmentation, height: int, width: int) -> dict:
    """Any COCO segmentation (polygons, list-count RLE, string-count RLE) as pycocotools RLE."""
    if isinstance(segmentation, dict) and isinstance(segmentation["counts"], str):
        return {"size": segmentation["size"], "counts": segmentation["counts"].encode("ascii")}
    rle = coco_mask.frPyObjects(segmentation, height, width)
    return coco_mask.merge(rle) if isinstance(rle, list) else rle


def _xywh(box_xyxy) -> list[float]:
    x1, y1, x2, y2 = box_xyxy
    return [x1, y1, x2 - x1, y2 - y1]


@dataclass(frozen=True)
class JudgedLabel:
    noun: str
    category: str | None
    # correct: the box is right; misplaced: the object is there, the box is not on it; absent:
    # the image holds no object of the noun's class (the caption named one that is not there).
    status: str
    mask_iou: float


def judge_labels(labels: PseudoLabels, truth: list[tuple[str, dict, list[float]]], category_of: Mapping[str, str]) -> list[JudgedLabel]:
    """Each pseudo label of one image against that image's instances ``(class, rle, xywh box)``."""
    judged = []
    for noun in labels.nouns:
        category = category_of.get(noun.word)
        instances = [(rle, box) for name, rle, box in truth if name == category]
        if not instances:
            judged.append(JudgedLabel(noun.word, category, "absent", 0.0))
            continue
        rles, boxes = [rle for rle, _ in instances], [box for _, box in instances]
        box_iou = coco_mask.iou([_xywh(noun.box_xyxy)], boxes, [0] * len(boxes))[0]
        pseudo = _rle(noun.mask_rle, labels.height, labels.width)
        mask_iou = coco_mask.iou([pseudo], rles, [0] * len(rles))[0]
        judged.append(JudgedLabel(noun.word, category, "correct" if box_iou.max() >= BOX_IOU_CORRECT else "misplaced",
                                  float(mask_iou.max())))
    return judged


def judged_samples(version: DatasetVersion, truth_json: str | Path, category_of: Mapping[str, str]):
    """``(key, shard members, [JudgedLabel per pseudo label])`` for every sample of the version, in
    shard order. ``category_of`` maps a caption noun to the ground truth's category name
    (synonyms included); unmapped nouns count as absent."""
    truth = truth_by_key(Path(truth_json))
    for shard in version.manifest["shards"]:
        for key, parts in read_captioned_shard(Path(version.shard_path(shard["name"]))):
            labels = PseudoLabels.from_json(json.loads(parts["json"]))
            yield key, parts, judge_labels(labels, truth.get(key, []), category_of)


def measure_pseudo_labels(version: DatasetVersion, truth_json: str | Path, category_of: Mapping[str, str]) -> list[NounQuality]:
    """One row per noun of the version, most frequent first."""
    scores: dict[str, list[JudgedLabel]] = defaultdict(list)
    for _, _, judged in judged_samples(version, truth_json, category_of):
        for label in judged:
            scores[label.noun].append(label)
    rows = [
        NounQuality(noun, category_of.get(noun), len(labels), float(np.mean([label.status == "correct" for label in labels])),
                    float(np.mean([label.mask_iou for label in labels])))
        for noun, labels in scores.items()
    ]
    return sorted(rows, key=lambda row: (-row.count, row.noun))


def summarize(rows: list[NounQuality], groups: Mapping[str, str]) -> dict[str, dict]:
    """Count-weighted box precision and mask IoU per group of categories (``groups`` maps a
    category name to its group, e.g. base / target / caption_only)."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for row in rows:
        group = groups.get(row.category, "unmapped") if row.category else "unmapped"
        for name in (group, "all"):
            totals[name][0] += row.count
            totals[name][1] += row.box_precision * row.count
            totals[name][2] += row.mask_iou * row.count
    return {
        name: {"labels": int(n), "box_precision": box / n, "mask_iou": mask / n}
        for name, (n, box, mask) in totals.items() if n
    }
