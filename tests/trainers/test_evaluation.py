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
    from commands.cli import main

    arguments = ["eval", "--model", str(tiny_teacher), "--gt", str(tiny_world / "val" / "instances.json"),
                 "--images", str(tiny_world / "val" / "images"), "--split", str(tiny_world / "split.json"), "--device", "cpu"]
    assert main(arguments) == 0
    err = capsys.readouterr().err
    assert "eval: 8/12 images" in err and "ETA" in err and "eval: 12/12 images" in err
    assert main([*arguments, "--quiet"]) == 0
    assert "images" not in capsys.readouterr().err


def _noisy(gt, seed=0):
    """Predictions with jittered boxes, random scores, some dropped, some on the wrong class."""
    import numpy as np

    rng = np.random.default_rng(seed)
    categories = sorted(gt.cats)
    results = []
    for r in _perfect(gt):
        if rng.random() < 0.2:
            continue
        x, y, w, h = r["bbox"]
        jitter = rng.normal(0, 0.25, 4) * [w, h, w, h]
        category = r["category_id"] if rng.random() < 0.8 else int(rng.choice(categories))
        results.append({**r, "category_id": category, "bbox": [x + jitter[0], y + jitter[1], w + jitter[2], h + jitter[3]],
                        "score": float(rng.random())})
    return results


def _cocoeval_ap50(gt, results, iou_type, image_ids, category_ids):
    """pycocotools' own accumulate, the reference the re-accumulation must equal."""
    import contextlib
    import io

    import numpy as np
    from pycocotools.cocoeval import COCOeval

    from trainers.evaluation.coco_ap import _results_coco

    evaluator = COCOeval(gt, _results_coco(gt, results), iou_type)
    evaluator.params.imgIds, evaluator.params.catIds = list(image_ids), sorted(category_ids)
    evaluator.params.iouThrs, evaluator.params.areaRng, evaluator.params.maxDets = np.array([0.5]), [[0, 1e10]], [100]
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator.evaluate()
        evaluator.accumulate()
    precision = evaluator.eval["precision"][0, :, :, 0, 0]
    return {c: 100.0 * float(precision[:, k][precision[:, k] > -1].mean()) for k, c in enumerate(sorted(category_ids))
            if (precision[:, k] > -1).any()}


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_reaccumulated_ap50_equals_cocoeval(val_gt, iou_type):
    results = _noisy(val_gt)
    categories = sorted({a["category_id"] for a in val_gt.dataset["annotations"]})
    ours = ap50_per_category(val_gt, results, iou_type, sorted(val_gt.imgs), categories)
    reference = _cocoeval_ap50(val_gt, results, iou_type, sorted(val_gt.imgs), categories)
    assert 0 < sum(ours.values()) < 100 * len(ours)  # neither trivial case
    assert ours == pytest.approx(reference, abs=1e-9)


def test_an_image_weighted_twice_scores_as_that_image_evaluated_twice(val_gt):
    """A bootstrap draw counts an image k times: its AP must be that of a test set holding k copies."""
    import copy

    import numpy as np

    from pycocotools.coco import COCO

    from trainers.evaluation.coco_ap import match_detections

    results = _noisy(val_gt, seed=1)
    images = sorted(val_gt.imgs)
    twice, dropped = images[0], images[1]
    duplicate_id = max(images) + 1
    data = copy.deepcopy(val_gt.dataset)
    data["images"] = [i for i in data["images"] if i["id"] != dropped]
    data["images"].append({**val_gt.imgs[twice], "id": duplicate_id})
    top = max(a["id"] for a in data["annotations"])
    copies = [{**a, "id": top + n + 1, "image_id": duplicate_id} for n, a in enumerate(val_gt.imgToAnns[twice])]
    data["annotations"] = [a for a in data["annotations"] if a["image_id"] != dropped] + copies
    doubled = COCO()
    doubled.dataset = data
    doubled.createIndex()
    doubled_results = [r for r in results if r["image_id"] != dropped] + [
        {**r, "image_id": duplicate_id} for r in results if r["image_id"] == twice]
    categories = sorted(val_gt.cats)
    weights = np.ones(len(images))
    weights[images.index(twice)], weights[images.index(dropped)] = 2, 0
    weighted = match_detections(val_gt, results, "bbox", images, categories).ap50(weights[None])
    reference = _cocoeval_ap50(doubled, doubled_results, "bbox", sorted(doubled.imgs), categories)
    assert {c: v[0] for c, v in weighted.items() if not np.isnan(v[0])} == pytest.approx(reference, abs=1e-9)
    assert weighted != match_detections(val_gt, results, "bbox", images, categories).ap50(np.ones((1, len(images))))


def test_matches_survive_their_file(val_gt, tmp_path):
    import numpy as np

    from trainers.evaluation.coco_ap import load_matches, match_detections, save_matches

    matches = {t: match_detections(val_gt, _noisy(val_gt), t, sorted(val_gt.imgs), sorted(val_gt.cats)) for t in ("bbox", "segm")}
    save_matches(tmp_path / "m.npz", matches)
    loaded = load_matches(tmp_path / "m.npz")
    draws = np.random.default_rng(0).integers(0, 3, (5, len(val_gt.imgs)))
    for iou_type in matches:
        expected, got = matches[iou_type].ap50(draws), loaded[iou_type].ap50(draws)
        assert expected.keys() == got.keys()
        for category in expected:
            np.testing.assert_array_equal(expected[category], got[category])


def test_segmenting_only_classes_in_the_ground_truth_changes_no_ap(tiny_world, tiny_teacher):
    """Evaluation segments only detections of classes an image's ground truth holds: exact, since
    COCO never compares any other detection's mask with anything."""
    import torch

    from pycocotools import mask as coco_mask

    from schemas.split import read_split
    from trainers.data.coco_instances import category_ids_by_name
    from trainers.evaluation.coco_ap import match_detections
    from trainers.evaluation.inference import predict_coco
    from xpm.modeling.checkpoint import detector_from_checkpoint, read_checkpoint, text_embedder_for

    checkpoint = read_checkpoint(tiny_teacher)
    model = detector_from_checkpoint(checkpoint, torch.device("cpu"))
    model.roi_heads.score_thresh = 0.0
    split = read_split(tiny_world / "split.json")
    gt = load_coco(tiny_world / "test" / "instances.json")
    names = split.base + split.target
    ids = category_ids_by_name(gt, names, "gt")
    images = [(i, tiny_world / "test" / "images" / gt.imgs[i]["file_name"]) for i in sorted(gt.imgs)]
    vocabulary = {"all": (torch.from_numpy(text_embedder_for(checkpoint, tiny_teacher).embed(names)), [ids[n] for n in names],
                          set(gt.imgs))}
    truth = {i: {a["category_id"] for a in gt.imgToAnns.get(i, [])} for i in gt.imgs}
    kwargs = dict(batch_size=4, device=torch.device("cpu"), mask_threshold=0.5)
    full = predict_coco(model, images, vocabulary, **kwargs)["all"]
    some = predict_coco(model, images, vocabulary, truth_categories=truth, **kwargs)["all"]
    assert [{k: v for k, v in r.items() if k != "segmentation"} for r in full] == [
        {k: v for k, v in r.items() if k != "segmentation"} for r in some]
    scored = [r["category_id"] in truth[r["image_id"]] for r in some]
    assert any(scored) and not all(scored)
    for kept, a, b in zip(scored, full, some):
        # the masks COCO compares are the model's own; the others are empty
        assert (a["segmentation"] == b["segmentation"]) if kept else coco_mask.area(b["segmentation"]) == 0
    ap = {name: match_detections(gt, results, "segm", sorted(gt.imgs), [ids[n] for n in names]).ap50()
          for name, results in (("full", full), ("some", some))}
    assert ap["full"] == ap["some"]
