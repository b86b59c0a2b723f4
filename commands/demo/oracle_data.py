"""The oracle's training data: the student's two sources with the truth in place of pseudo labels.

The base-GT images keep their base annotations, and the captioned images get their synthetic
ground truth of base *and* target classes instead of Eq. 2/Eq. 4 pseudo labels. Trained for the
student's budget from the teacher, this is the upper bound of what pseudo-labeling can reach.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from schemas.split import ClassSplit
from xpm.io.atomic import write_text_atomically
from xpm.io.captioned_shards import read_captioned_shard

CAPTIONED_PREFIX = "captioned_"


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def build_oracle_data(world: Path, split: ClassSplit, out: Path) -> tuple[Path, Path]:
    """``(instances.json, images/)`` under ``out``; reused when already complete."""
    gt_path, images = out / "instances.json", out / "images"
    if gt_path.is_file():
        return gt_path, images
    images.mkdir(parents=True, exist_ok=True)
    classes = list(split.base + split.target)
    categories = [{"id": i + 1, "name": name} for i, name in enumerate(classes)]
    category_of = {name: i + 1 for i, name in enumerate(classes)}
    merged = {"images": [], "annotations": [], "categories": categories}

    def add(source: dict, file_name_of) -> None:
        names = {c["id"]: c["name"] for c in source["categories"]}
        image_ids = {}
        for image in source["images"]:
            image_ids[image["id"]] = len(merged["images"]) + 1
            merged["images"].append({**image, "id": image_ids[image["id"]], "file_name": file_name_of(image["file_name"])})
        for annotation in source["annotations"]:
            name = names[annotation["category_id"]]
            if name in category_of:
                merged["annotations"].append({**annotation, "id": len(merged["annotations"]) + 1,
                                              "image_id": image_ids[annotation["image_id"]], "category_id": category_of[name]})

    train = json.loads((world / "train" / "instances_base.json").read_text())
    for image in train["images"]:
        target = images / image["file_name"]
        if not target.exists():
            _link_or_copy(world / "train" / "images" / image["file_name"], target)
    add(train, lambda name: name)

    for shard in sorted((world / "captioned").glob("*.tar")):
        for key, parts in read_captioned_shard(shard):
            target = images / f"{CAPTIONED_PREFIX}{key}.jpg"
            if not target.exists():
                target.write_bytes(parts["jpg"])
    add(json.loads((world / "captioned" / "instances_all.json").read_text()), lambda key: f"{CAPTIONED_PREFIX}{key}.jpg")
    # Written last: its presence marks the folder complete.
    write_text_atomically(gt_path, json.dumps(merged))
    return gt_path, images
