import json

from pipeline.dataset.versions import open_version
from schemas.pseudo_label import PseudoLabels
from trainers.evaluation.pseudo_label_quality import measure_pseudo_labels, summarize
from xpm.io.captioned_shards import read_captioned_shard


def _truth_from_pseudo_labels(version, path, rename=lambda word: word):
    """Ground truth whose instances are the version's own pseudo labels (class = the noun)."""
    images, annotations, names = [], [], {}
    for shard in version.manifest["shards"]:
        for key, parts in read_captioned_shard(version.shard_path(shard["name"])):
            labels = PseudoLabels.from_json(json.loads(parts["json"]))
            images.append({"id": len(images) + 1, "file_name": key, "width": labels.width, "height": labels.height})
            for noun in labels.nouns:
                x1, y1, x2, y2 = noun.box_xyxy
                category = names.setdefault(rename(noun.word), len(names) + 1)
                annotations.append({"id": len(annotations) + 1, "image_id": images[-1]["id"], "category_id": category,
                                    "segmentation": noun.mask_rle, "bbox": [x1, y1, x2 - x1, y2 - y1], "iscrowd": 0})
    categories = [{"id": i, "name": name} for name, i in names.items()]
    path.write_text(json.dumps({"images": images, "annotations": annotations, "categories": categories}))
    return {word: word for word in names}


def test_pseudo_labels_equal_to_the_truth_are_all_correct(tiny_version, tmp_path):
    version = open_version(tiny_version)
    category_of = _truth_from_pseudo_labels(version, tmp_path / "truth.json")
    rows = measure_pseudo_labels(version, tmp_path / "truth.json", category_of)
    assert rows and all(row.box_precision == 1.0 for row in rows)
    summary = summarize(rows, {word: "target" for word in category_of})
    assert summary["all"]["labels"] == summary["target"]["labels"] == sum(r.count for r in rows)
    assert summary["all"]["box_precision"] == 1.0


def test_nouns_of_another_class_or_unmapped_are_never_correct(tiny_version, tmp_path):
    version = open_version(tiny_version)
    category_of = _truth_from_pseudo_labels(version, tmp_path / "truth.json", rename=lambda word: f"not-{word}")
    rows = measure_pseudo_labels(version, tmp_path / "truth.json", {word[4:]: word for word in category_of})
    assert rows and all(row.box_precision == 1.0 for row in rows)
    wrong = measure_pseudo_labels(version, tmp_path / "truth.json", {})
    assert all(row.box_precision == 0.0 and row.mask_iou == 0.0 and row.category is None for row in wrong)
    assert summarize(wrong, {})["unmapped"]["box_precision"] == 0.0
