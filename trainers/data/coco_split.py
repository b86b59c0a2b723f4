"""The paper's COCO setting (after OVR-CNN): 48 base classes whose masks train the teacher and
17 target classes evaluated as never seen. Built from COCO 2017 instance annotations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from schemas.split import ClassSplit, write_split
from trainers.data.coco_instances import category_ids_by_name, load_coco
from xpm.config import ConfigError
from xpm.io.atomic import write_text_atomically

COCO_BASE_48 = (
    "person", "bicycle", "car", "motorcycle", "train", "truck", "boat", "bench", "bird", "horse", "sheep", "bear",
    "zebra", "giraffe", "backpack", "handbag", "suitcase", "frisbee", "skis", "kite", "surfboard", "bottle", "fork",
    "spoon", "bowl", "banana", "apple", "sandwich", "orange", "broccoli", "carrot", "pizza", "donut", "chair", "bed",
    "toilet", "tv", "laptop", "mouse", "remote", "microwave", "oven", "toaster", "refrigerator", "book", "clock",
    "vase", "toothbrush",
)
COCO_TARGET_17 = (
    "umbrella", "cow", "cup", "bus", "keyboard", "skateboard", "dog", "couch", "tie", "snowboard", "sink",
    "elephant", "cake", "scissors", "airplane", "cat", "knife",
)
SPLIT_FILE = "split.json"
TRAIN_BASE_FILE = "instances_train2017_base.json"
VAL_FILES = {"all": "instances_val2017_all.json", "base": "instances_val2017_base.json", "target": "instances_val2017_target.json"}


@dataclass(frozen=True)
class CocoSplitSummary:
    out_dir: Path
    train_images: int
    train_annotations: int
    val_images: dict[str, int]


def _restricted(data: dict, category_ids: set[int], *, keep_all_images: bool) -> dict:
    annotations = [a for a in data["annotations"] if a["category_id"] in category_ids]
    with_objects = {a["image_id"] for a in annotations}
    images = data["images"] if keep_all_images else [i for i in data["images"] if i["id"] in with_objects]
    return {
        "info": data.get("info", {}),
        "licenses": data.get("licenses", []),
        "categories": [c for c in data["categories"] if c["id"] in category_ids],
        "images": images,
        "annotations": annotations,
    }


def build_coco_split(coco_root: str | Path, out_dir: str | Path) -> CocoSplitSummary:
    """Writes OUT/split.json, the base-class training GT (every training image kept, target
    annotations removed: target objects stay in the pictures as unlabelled background, as in the
    paper) and validation GT for all, base and target classes (images that hold them)."""
    root, out = Path(coco_root), Path(out_dir)
    paths = {name: root / "annotations" / f"instances_{name}2017.json" for name in ("train", "val")}
    for path in paths.values():
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} does not exist; --coco-root is the folder that holds annotations/instances_train2017.json "
                "and annotations/instances_val2017.json (COCO 2017 'annotations_trainval2017.zip')."
            )
    split = ClassSplit(base=COCO_BASE_48, target=COCO_TARGET_17)
    results = {}
    for name, path in paths.items():
        coco = load_coco(path)
        ids = category_ids_by_name(coco, split.base + split.target, str(path))
        base_ids, target_ids = {ids[n] for n in split.base}, {ids[n] for n in split.target}
        if name == "train":
            results[TRAIN_BASE_FILE] = _restricted(coco.dataset, base_ids, keep_all_images=True)
        else:
            for group, group_ids in (("all", base_ids | target_ids), ("base", base_ids), ("target", target_ids)):
                results[VAL_FILES[group]] = _restricted(coco.dataset, group_ids, keep_all_images=False)
    if not results[TRAIN_BASE_FILE]["annotations"]:
        raise ConfigError(f"{paths['train']} holds no annotation of the 48 base classes.")
    out.mkdir(parents=True, exist_ok=True)
    for file_name, data in results.items():
        write_text_atomically(out / file_name, json.dumps(data, separators=(",", ":")))
    write_split(split, out / SPLIT_FILE)
    return CocoSplitSummary(
        out_dir=out,
        train_images=len(results[TRAIN_BASE_FILE]["images"]),
        train_annotations=len(results[TRAIN_BASE_FILE]["annotations"]),
        val_images={group: len(results[file]["images"]) for group, file in VAL_FILES.items()},
    )
