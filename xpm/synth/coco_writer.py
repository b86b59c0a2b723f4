"""COCO instance files for the synthetic world (pycocotools loads them as they are)."""

from __future__ import annotations

import json
from pathlib import Path

from xpm.io.atomic import write_text_atomically
from xpm.masks import encode_rle, mask_box_xywh
from xpm.synth.catalog import CATALOG

CATEGORY_IDS = {cls.name: index + 1 for index, cls in enumerate(CATALOG)}


class CocoInstancesWriter:
    """Collects images and instance masks of the named classes; writes one COCO JSON."""

    def __init__(self, class_names: list[str], description: str):
        self._keep = set(class_names)
        by_name = {cls.name: cls for cls in CATALOG}
        self._data = {
            "info": {"description": description, "version": "1"},
            "licenses": [],
            "categories": [
                {"id": CATEGORY_IDS[name], "name": name, "supercategory": by_name[name].category}
                for name in sorted(self._keep, key=CATEGORY_IDS.get)
            ],
            "images": [],
            "annotations": [],
        }

    def add(self, image_id: int, file_name: str, width: int, height: int, instances, **image_fields) -> None:
        """``image_fields`` travel in the image's entry (COCO readers ignore unknown keys)."""
        self._data["images"].append({"id": image_id, "file_name": file_name, "width": width, "height": height, **image_fields})
        for instance in instances:
            if instance.cls.name not in self._keep:
                continue
            rle = encode_rle(instance.mask)
            self._data["annotations"].append(
                {
                    "id": len(self._data["annotations"]) + 1,
                    "image_id": image_id,
                    "category_id": CATEGORY_IDS[instance.cls.name],
                    "segmentation": rle,
                    "area": int(instance.mask.sum()),
                    "bbox": mask_box_xywh(instance.mask),
                    "iscrowd": 0,
                }
            )

    def write(self, path: Path) -> None:
        write_text_atomically(path, json.dumps(self._data, separators=(",", ":")))
