from xpm.io.dataset_version import open_version
from trainers.evaluation.pseudo_label_quality import measure_pseudo_labels, summarize


def test_pseudo_labels_equal_to_the_truth_are_all_correct(tiny_version, tmp_path, truth_from_pseudo_labels):
    version = open_version(tiny_version)
    category_of = truth_from_pseudo_labels(version, tmp_path / "truth.json")
    rows = measure_pseudo_labels(version, tmp_path / "truth.json", category_of)
    assert rows and all(row.box_precision == 1.0 for row in rows)
    summary = summarize(rows, {word: "target" for word in category_of})
    assert summary["all"]["labels"] == summary["target"]["labels"] == sum(r.count for r in rows)
    assert summary["all"]["box_precision"] == 1.0


def test_nouns_of_another_class_or_unmapped_are_never_correct(tiny_version, tmp_path, truth_from_pseudo_labels):
    version = open_version(tiny_version)
    category_of = truth_from_pseudo_labels(version, tmp_path / "truth.json", rename=lambda word: f"not-{word}")
    rows = measure_pseudo_labels(version, tmp_path / "truth.json", {word[4:]: word for word in category_of})
    assert rows and all(row.box_precision == 1.0 for row in rows)
    wrong = measure_pseudo_labels(version, tmp_path / "truth.json", {})
    assert all(row.box_precision == 0.0 and row.mask_iou == 0.0 and row.category is None for row in wrong)
    assert summarize(wrong, {})["unmapped"]["box_precision"] == 0.0
