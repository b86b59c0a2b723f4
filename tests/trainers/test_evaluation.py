import json

import pytest

from trainers.data.coco_instances import load_coco
from trainers.evaluation.coco_ap import ap50_per_category, mean_ap
from trainers.evaluation.table2 import format_table2


@pytest.fixture(scope="module")
def val_gt(tiny_world):
    return load_coco(tiny_world / "val" / "instances.json")


def _perfect(gt):
    return [
        {"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"], "score": 1.0,
         "segmentation": a["segmentation"]}
        for a in gt.dataset["annotations"]
    ]


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_perfect_predictions_give_ap50_100(val_gt, iou_type):
    categories = sorted(val_gt.cats)
    per_category = ap50_per_category(val_gt, _perfect(val_gt), iou_type, sorted(val_gt.imgs), categories)
    assert per_category and all(v == pytest.approx(100.0) for v in per_category.values())


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_no_predictions_give_ap50_0(val_gt, iou_type):
    per_category = ap50_per_category(val_gt, [], iou_type, sorted(val_gt.imgs), sorted(val_gt.cats))
    assert per_category and set(per_category.values()) == {0.0}


def test_predictions_on_the_wrong_class_score_0(val_gt):
    categories = sorted(val_gt.cats)
    shifted = [{**r, "category_id": categories[(categories.index(r["category_id"]) + 1) % len(categories)]} for r in _perfect(val_gt)]
    per_category = ap50_per_category(val_gt, shifted, "bbox", sorted(val_gt.imgs), categories)
    # Every box is exact, so only matching by category can make the AP of each class 0.
    assert per_category == {a["category_id"]: 0.0 for a in val_gt.dataset["annotations"]}


def test_classes_without_ground_truth_are_left_out_of_means(val_gt):
    present = sorted(val_gt.cats)
    per_category = ap50_per_category(val_gt, _perfect(val_gt), "bbox", sorted(val_gt.imgs), present + [10_000])
    assert 10_000 not in per_category
    assert mean_ap(per_category, [10_000]) is None


def test_table_has_the_paper_layout():
    result = {t: {"constrained": {"base": 50.0, "target": 1.5}, "generalized": {"base": 40.0, "target": None, "all": 30.0}}
              for t in ("bbox", "segm")}
    text = format_table2({"teacher": result})
    assert "constrained" in text and "generalized" in text
    assert "teacher" in text and " n/a" in text and "50.0" in text
    json.dumps(result)


def test_per_category_values_follow_the_categories_not_their_order(val_gt):
    categories = sorted(val_gt.cats)
    keep = val_gt.dataset["annotations"][0]["category_id"]
    results = [r for r in _perfect(val_gt) if r["category_id"] == keep]
    forward = ap50_per_category(val_gt, results, "bbox", sorted(val_gt.imgs), categories)
    backward = ap50_per_category(val_gt, results, "bbox", sorted(val_gt.imgs), categories[::-1])
    assert forward == backward
    assert forward[keep] == pytest.approx(100.0)
    assert all(v == 0.0 for c, v in forward.items() if c != keep)


def test_eval_command_shows_progress_unless_quiet(tiny_world, tiny_teacher, capsys):
    from xpm.cli import main

    arguments = ["eval", "--model", str(tiny_teacher), "--gt", str(tiny_world / "val" / "instances.json"),
                 "--images", str(tiny_world / "val" / "images"), "--split", str(tiny_world / "split.json"), "--device", "cpu"]
    assert main(arguments) == 0
    err = capsys.readouterr().err
    assert "eval: 8/12 images" in err and "ETA" in err and "eval: 12/12 images" in err
    assert main([*arguments, "--quiet"]) == 0
    assert "images" not in capsys.readouterr().err
