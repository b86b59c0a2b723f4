import torch
import pytest

from xpm.modeling.alignment import calibration_thresholds
from commands.study.alignment_study import NounLabel, StudyConfig, calibrate, markdown_table, run_study, summarize_rule


def test_summary_counts_precision_recall_and_absent_labels_per_group():
    labels = [
        NounLabel("cat", "target", present=True, kept=True, logit=2.0, correct=True, mask_iou=0.8),
        NounLabel("cat", "target", present=True, kept=True, logit=1.0, correct=False, mask_iou=0.2),
        NounLabel("cat", "target", present=True, kept=False, logit=0.5),
        NounLabel("kite", "target", present=False, kept=True, logit=0.3),
        NounLabel("dog", "base", present=True, kept=True, logit=3.0, correct=True, mask_iou=0.9),
    ]
    summary = summarize_rule(labels, seconds=0.5, images=10)
    target = summary["target"]
    assert (target["nouns"], target["kept"]) == (4, 3)
    assert target["box_precision"] == pytest.approx(1 / 3) and target["recall"] == pytest.approx(1 / 3)
    assert target["mask_iou"] == pytest.approx((0.8 + 0.2 + 0.0) / 3)
    assert (target["absent_nouns"], target["absent_kept"], target["absent_kept_share"]) == (1, 1, 1.0)
    assert summary["all"]["kept"] == 4 and summary["ms_per_image"] == pytest.approx(50.0)


def test_calibration_drops_a_word_scoring_below_where_it_is_absent():
    # "kite" scores 0.9-1.0 on images that do not mention it: a label at 0.3 is no evidence.
    best = [({"cat"}, {"kite": 0.9, "cat": 2.0}), ({"cat"}, {"kite": 1.0, "cat": 2.5}), ({"kite"}, {"kite": 0.3, "cat": 0.1})]
    thresholds = calibration_thresholds(best, 50.0)
    assert thresholds == pytest.approx({"kite": 0.95, "cat": 0.1})
    labels = [NounLabel("kite", "target", False, True, 0.3), NounLabel("cat", "target", True, True, 2.0, correct=True)]
    assert [label.kept for label in calibrate(labels, thresholds)] == [False, True]


def test_the_study_scores_every_rule_on_the_same_nouns(tiny_world, tiny_teacher, tmp_path):
    config = StudyConfig(world=str(tiny_world), teacher=str(tiny_teacher), out=str(tmp_path), images=6, batch_size=4,
                         rules=("eq2", "eq2+objectness+gate", "eq2+calibrated@90", "eq2+refine"))
    results = run_study(config)
    assert results["images"] == 6
    rules = results["rules"]
    assert set(rules) == {"eq2", "eq2+objectness+gate", "eq2+calibrated@90", "eq2+refine"}
    nouns = {name: row["all"]["nouns"] for name, row in rules.items()}
    assert len(set(nouns.values())) == 1 and nouns["eq2"] > 0
    assert rules["eq2"]["all"]["kept"] == rules["eq2+refine"]["all"]["kept"] == nouns["eq2"]  # Eq. 2 labels every noun
    assert rules["eq2+objectness+gate"]["all"]["kept"] <= nouns["eq2"]
    # the ceiling judges every present noun once, and no rule choosing among the proposals beats it
    ceiling = results["ceiling"]
    for group, row in ceiling.items():
        assert row["present_nouns"] == rules["eq2"][group]["nouns"] - rules["eq2"][group]["absent_nouns"]
        for name in ("eq2", "eq2+objectness+gate", "eq2+calibrated@90"):
            assert rules[name][group]["recall"] <= row["best_proposal_recall"]
    assert ceiling["all"]["present_nouns"] > 0 and 0 <= ceiling["all"]["best_proposal_mask_iou"] <= 1
    table = markdown_table(results)
    assert all(f"`{name}`" in table for name in rules) and "best proposal (ceiling)" in table
    with pytest.raises(ValueError, match="alignment 'softmax'"):
        StudyConfig(world="w", teacher="t", out="o", rules=("softmax",))


def test_the_best_proposal_is_the_one_overlapping_an_instance_of_the_nouns_class_most():
    from commands.study.alignment_study import _best_proposals

    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 40.0, 40.0], [21.0, 21.0, 40.0, 40.0]])
    instances = [("dog", {"rle": 1}, [21.0, 21.0, 19.0, 19.0]), ("cat", {"rle": 2}, [0.0, 0.0, 10.0, 10.0])]
    found = _best_proposals(boxes, ["dog", "cat", "horse"], instances, {"dog": "dog", "cat": "cat", "horse": "horse"})
    assert [(category, index) for category, index, _ in found] == [("dog", 2), ("cat", 0)]
