"""COCO-format instance ground truth as detector targets, for the classes of one vocabulary."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from pycocotools.coco import COCO

from xpm.config import ConfigError
from xpm.io.images import read_rgb, rgb_tensor


def load_coco(path: str | Path) -> COCO:
    """pycocotools' COCO, quietly, with a clear error for a missing or malformed file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"annotation file {path} does not exist.")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"annotation file {path} is not JSON ({error}).") from None
    missing = [key for key in ("images", "annotations", "categories") if not isinstance(data.get(key), list)]
    if missing:
        raise ConfigError(f"annotation file {path} is not COCO instances format: it lacks {', '.join(missing)}.")
    coco = COCO()
    coco.dataset = data
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def category_ids_by_name(coco: COCO, names: Sequence[str], where: str) -> dict[str, int]:
    """The COCO category id of each class name; a name the file lacks is an error naming it."""
    by_name = {category["name"]: category["id"] for category in coco.dataset["categories"]}
    missing = [name for name in names if name not in by_name]
    if missing:
        raise ConfigError(
            f"{where} has no categor{'y' if len(missing) == 1 else 'ies'} named {', '.join(map(repr, missing))}; "
            f"the split and the annotation file must name classes alike (the file has e.g. {', '.join(list(by_name)[:5])})."
        )
    return {name: by_name[name] for name in names}


def check_image_folder(coco: COCO, image_dir: Path, annotation_file: str | Path) -> None:
    """The folder exists, is not empty and holds the files the annotation file names."""
    if not image_dir.is_dir():
        raise FileNotFoundError(f"image folder {image_dir} does not exist.")
    if next(image_dir.iterdir(), None) is None:
        raise FileNotFoundError(f"image folder {image_dir} is empty; pass the folder that holds the images of {annotation_file}.")
    absent = [info["file_name"] for info in coco.dataset["images"] if not (image_dir / info["file_name"]).is_file()]
    if absent:
        raise FileNotFoundError(
            f"image folder {image_dir} lacks {len(absent)} image(s) that {annotation_file} lists (e.g. {absent[0]}); "
            "pass the folder that holds its file_name entries."
        )


class CocoInstances(torch.utils.data.Dataset):
    """Images with the boxes and masks of ``class_names``; labels index that list from 1.

    Every image of the file is kept, also those without any of these classes: they teach the
    detector what background looks like (the paper's base-class training keeps the images of
    target objects with their annotations removed). Crowd regions and empty boxes are skipped.
    Items are ``(index, flip)`` pairs so that the batch order decides augmentation and a resumed
    run sees the same batches.
    """

    def __init__(self, annotation_file: str | Path, image_dir: str | Path, class_names: Sequence[str]):
        self.coco = load_coco(annotation_file)
        self.image_dir = Path(image_dir)
        check_image_folder(self.coco, self.image_dir, annotation_file)
        ids = category_ids_by_name(self.coco, class_names, str(annotation_file))
        self.label_of_category = {category_id: label for label, category_id in enumerate(ids.values(), start=1)}
        self.image_ids = sorted(self.coco.imgs)
        if not self.image_ids:
            raise ConfigError(f"annotation file {annotation_file} lists no images.")

    def __len__(self) -> int:
        return len(self.image_ids)

    def __getitem__(self, item: tuple[int, bool]) -> tuple[torch.Tensor, dict]:
        index, flip = item
        info = self.coco.imgs[self.image_ids[index]]
        image = read_rgb(self.image_dir / info["file_name"])
        height, width = image.shape[:2]
        boxes, labels, masks = [], [], []
        for annotation in self.coco.imgToAnns.get(info["id"], []):
            label = self.label_of_category.get(annotation["category_id"])
            x, y, w, h = annotation["bbox"]
            if label is None or annotation.get("iscrowd", 0) or w < 1 or h < 1:
                continue
            boxes.append([x, y, x + w, y + h])
            labels.append(label)
            masks.append(self.coco.annToMask({**annotation, "image_id": info["id"]}))
        target = {
            "boxes": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            "labels": torch.tensor(labels, dtype=torch.int64),
            "masks": torch.from_numpy(np.stack(masks)) if masks else torch.zeros((0, height, width), dtype=torch.uint8),
            "image_id": info["id"],
        }
        tensor = rgb_tensor(image)
        if flip:
            tensor, target = horizontal_flip(tensor, target)
        return tensor, target


def horizontal_flip(image: torch.Tensor, target: dict) -> tuple[torch.Tensor, dict]:
    width = image.shape[-1]
    boxes = target["boxes"].clone()
    boxes[:, [0, 2]] = width - target["boxes"][:, [2, 0]]
    return image.flip(-1), {**target, "boxes": boxes, "masks": target["masks"].flip(-1)}
