import json

import pytest

from schemas.split import read_split
from trainers.data.coco_split import COCO_BASE_48, COCO_TARGET_17, TRAIN_BASE_FILE, VAL_FILES, build_coco_split


def test_class_lists_are_the_papers():
    assert len(COCO_BASE_48) == 48 and len(COCO_TARGET_17) == 17
    assert not set(COCO_BASE_48) & set(COCO_TARGET_17)


def _fabricated_coco(root):
    names = COCO_BASE_48 + COCO_TARGET_17 + ("hair drier",)
    categories = [{"id": i + 1, "name": n, "supercategory": "x"} for i, n in enumerate(names)]
    cat = {n: i + 1 for i, n in enumerate(names)}
    def annotation(i, image, name):
        return {"id": i, "image_id": image, "category_id": cat[name], "bbox": [1, 1, 5, 5], "area": 25,
                "iscrowd": 0, "segmentation": [[1, 1, 6, 1, 6, 6, 1, 6]]}
    images = [{"id": i, "file_name": f"{i}.jpg", "width": 10, "height": 10} for i in (1, 2, 3)]
    train = {"images": images, "categories": categories,
             "annotations": [annotation(1, 1, "person"), annotation(2, 1, "dog"), annotation(3, 2, "cat"), annotation(4, 3, "hair drier")]}
    val = {"images": images, "categories": categories,
           "annotations": [annotation(1, 1, "person"), annotation(2, 2, "dog"), annotation(3, 3, "hair drier")]}
    (root / "annotations").mkdir(parents=True)
    (root / "annotations" / "instances_train2017.json").write_text(json.dumps(train))
    (root / "annotations" / "instances_val2017.json").write_text(json.dumps(val))


def test_coco_split_files(tmp_path):
    _fabricated_coco(tmp_path / "coco")
    summary = build_coco_split(tmp_path / "coco", tmp_path / "out")
    split = read_split(tmp_path / "out" / "split.json")
    assert split.base == COCO_BASE_48 and split.target == COCO_TARGET_17
    train = json.loads((tmp_path / "out" / TRAIN_BASE_FILE).read_text())
    assert [a["category_id"] for a in train["annotations"]] == [1]  # target and other annotations removed
    assert len(train["images"]) == 3  # their images kept
    assert len(train["categories"]) == 48
    val = {group: json.loads((tmp_path / "out" / name).read_text()) for group, name in VAL_FILES.items()}
    assert [i["id"] for i in val["all"]["images"]] == [1, 2]
    assert [i["id"] for i in val["base"]["images"]] == [1]
    assert [i["id"] for i in val["target"]["images"]] == [2]
    assert summary.train_annotations == 1


def test_coco_split_names_the_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="instances_train2017.json"):
        build_coco_split(tmp_path, tmp_path / "out")
