import numpy as np
import pytest
import torch

from trainers.evaluation.reliability_quality import measure_reliability, separation_auc, summarize_reliability
from xpm.modeling.student import CaptionLossSettings, RobustStudent


def test_the_auc_is_one_when_every_right_label_weighs_more_and_half_when_all_tie():
    assert separation_auc(np.array([3.0, 4.0]), np.array([1.0, 2.0])) == 1.0
    assert separation_auc(np.array([1.0, 2.0]), np.array([3.0, 4.0])) == 0.0
    assert separation_auc(np.array([2.0, 2.0]), np.array([2.0])) == 0.5
    assert separation_auc(np.array([3.0, 1.0]), np.array([2.0])) == 0.5
    assert separation_auc(np.array([1.0]), np.array([])) is None


def test_the_summary_splits_alphas_by_status_and_group():
    statuses = ["correct", "misplaced", "absent", "correct", "misplaced"]
    groups = ["target", "target", "target", "base", "base"]
    summary = summarize_reliability(statuses, groups, np.array([2.0, 1.0, 0.5, 1.0, 3.0]))
    assert summary["target"]["auc"] == 1.0 and summary["base"]["auc"] == 0.0
    assert summary["target"]["absent_labels"] == 1 and summary["target"]["absent_median_alpha"] == 0.5
    assert summary["base"]["absent_labels"] == 0 and summary["base"]["absent_median_alpha"] is None
    assert summary["all"]["correct_labels"] == 2 and summary["all"]["auc"] == pytest.approx(3.5 / 6)


def test_every_pseudo_label_of_the_version_gets_an_alpha(tiny_version, tiny_teacher, tmp_path, truth_from_pseudo_labels):
    from xpm.io.dataset_version import open_version
    from trainers.evaluation.pseudo_label_quality import judged_samples
    from xpm.modeling.checkpoint import detector_from_checkpoint, read_checkpoint

    student = RobustStudent(detector_from_checkpoint(read_checkpoint(tiny_teacher), torch.device("cpu")))
    truth = tmp_path / "truth.json"
    category_of = truth_from_pseudo_labels(open_version(tiny_version), truth)
    labels = sum(len(judged) for _, _, judged in judged_samples(open_version(tiny_version), truth, category_of))
    summaries = measure_reliability(student, tiny_version, truth, category_of, {word: "target" for word in category_of},
                                    CaptionLossSettings(alpha_scale="batch-mean"), images=100, base_classes=(),
                                    signals=("noise", "agreement", "class-score", "none"))
    assert list(summaries) == ["noise", "agreement", "class-score", "none"]
    for summary in summaries.values():
        assert summary["all"]["correct_labels"] == summary["target"]["correct_labels"] == labels > 0
        assert summary["all"]["auc"] is None
        assert summary["all"]["correct_median_alpha"] > 0
    assert summaries["none"]["all"]["correct_median_alpha"] == 1.0
