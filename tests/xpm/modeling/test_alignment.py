import pytest
import torch

from xpm.modeling.alignment import (
    ALIGNMENTS,
    BELOW_CALIBRATED_THRESHOLD,
    NO_REGION_LEFT,
    NO_REGION_PASSES_GATE,
    AlignmentRule,
    binarize_mask,
    calibration_thresholds,
    parse_alignment,
    select_regions,
)


def _eq2(regions, nouns, rule="eq2", **evidence):
    return select_regions(nouns @ regions.T, parse_alignment(rule), **evidence)


def test_eq2_picks_for_each_noun_the_region_of_highest_dot_product():
    regions = torch.tensor([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.5, 3.0], [0.9, 0.9, 0.0]])
    nouns = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.6, 0.8, 0.0]])
    selection = _eq2(regions, nouns)
    assert selection.region.tolist() == [0, 1, 2, 1]
    torch.testing.assert_close(selection.logit, torch.tensor([1.0, 2.0, 3.0, 1.6]))
    assert selection.reasons == (None,) * 4


def test_eq2_is_not_the_highest_norm_region_but_the_best_match():
    regions = torch.tensor([[10.0, -10.0], [0.1, 0.2]])
    assert _eq2(regions, torch.tensor([[0.0, 1.0]])).region.tolist() == [1]


def test_objectness_moves_a_noun_off_a_likelier_part_and_keeps_the_eq2_score():
    regions = torch.tensor([[2.0, 0.0], [1.5, 0.0]])  # a part that matches the word best, the whole object
    nouns = torch.tensor([[1.0, 0.0]])
    objectness = torch.tensor([0.05, 0.9])
    assert _eq2(regions, nouns).region.tolist() == [0]
    selection = _eq2(regions, nouns, "eq2+objectness", objectness=objectness)
    assert selection.region.tolist() == [1]
    torch.testing.assert_close(selection.logit, torch.tensor([1.5]))
    # a score lead larger than the log-objectness gap keeps the part
    assert _eq2(regions * 8, nouns, "eq2+objectness", objectness=objectness).region.tolist() == [0]


def test_nms_removes_a_duplicate_of_the_part_before_the_argmax():
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 11.0], [0.0, 0.0, 40.0, 40.0]])
    scores = torch.tensor([[3.0, 2.5, 2.0]])
    objectness = torch.tensor([0.5, 0.6, 0.9])  # the duplicate of the part is the likelier of the two
    assert select_regions(scores, parse_alignment("eq2"), objectness=objectness, boxes=boxes).region.tolist() == [0]
    kept = select_regions(scores, parse_alignment("eq2+nms"), objectness=objectness, boxes=boxes)
    assert kept.region.tolist() == [1]


def test_a_gate_drops_an_absent_noun_that_eq2_labels_anyway():
    # Region 0 is a dog (base class); the caption also names a "kite" the image does not show.
    regions = torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, -1.0]])
    nouns = torch.tensor([[1.0, 0.0, 0.0], [0.6, 0.1, 0.0]])  # dog, kite (close to dog in word space)
    classes = torch.tensor([[1.0, 0.0, 0.0]])  # the teacher's base class dog
    assert _eq2(regions, nouns).region.tolist() == [0, 0]
    for rule in ("eq2+gate", "eq2+bg-gate"):
        selection = _eq2(regions, nouns, rule, class_scores=classes @ regions.T)
        assert selection.region.tolist() == [0, -1]
        assert selection.reasons == (None, NO_REGION_PASSES_GATE)


def test_the_full_gate_also_yields_to_the_teachers_own_classes():
    # A target "wolf" region that the teacher calls dog more strongly than wolf: the full gate
    # drops the wolf label (the risk the study measures), the background gate keeps it.
    regions = torch.tensor([[2.0, 1.0]])
    wolf, dog = torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 0.0]])
    assert _eq2(regions, wolf, "eq2+gate", class_scores=dog @ regions.T).region.tolist() == [-1]
    assert _eq2(regions, wolf, "eq2+bg-gate", class_scores=dog @ regions.T).region.tolist() == [0]


def test_coverage_takes_the_whole_object_over_its_best_part_within_the_margin():
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 40.0, 40.0], [50.0, 50.0, 60.0, 60.0]])
    scores = torch.tensor([[3.0, 2.5, -5.0]])
    rule = AlignmentRule(coverage_margin=1.0)
    assert select_regions(scores, rule, boxes=boxes).region.tolist() == [1]
    assert select_regions(scores, AlignmentRule(coverage_margin=0.1), boxes=boxes).region.tolist() == [0]


def test_one_to_one_keeps_two_nouns_off_one_object():
    # A cat and a "tiger" named in one caption; the image shows the cat and a dog. Eq. 2 puts both
    # nouns on the cat; matching leaves the cat to the noun that fits it best.
    scores = torch.tensor([[3.0, 0.5], [2.5, 2.0]])
    assert select_regions(scores, parse_alignment("eq2")).region.tolist() == [0, 0]
    assert select_regions(scores, parse_alignment("eq2+one-to-one")).region.tolist() == [0, 1]
    # more nouns than regions: the one that fits worst is left without a label, and says why
    left = select_regions(torch.tensor([[3.0], [2.5]]), parse_alignment("eq2+one-to-one"))
    assert left.region.tolist() == [0, -1] and left.reasons == (None, NO_REGION_LEFT)


def test_calibration_drops_a_label_scoring_below_where_its_word_is_absent():
    # "kite" reaches 0.9-1.0 on images that do not mention it: its best region here (0.6) is no
    # evidence, while the dog's 3.0 is well above the dog's threshold.
    thresholds = calibration_thresholds([({"dog"}, {"kite": 0.9, "dog": 3.5}), ({"dog"}, {"kite": 1.0, "dog": 3.2}),
                                         ({"kite"}, {"kite": 2.0, "dog": 0.4})], 50.0)
    assert thresholds == pytest.approx({"kite": 0.95, "dog": 0.4})
    scores = torch.tensor([[3.0, 0.1], [0.6, 0.2]])
    rule = parse_alignment("eq2+calibrated@50")
    assert select_regions(scores, parse_alignment("eq2")).region.tolist() == [0, 0]
    selection = select_regions(scores, rule, thresholds=torch.tensor([thresholds["dog"], thresholds["kite"]]))
    assert selection.region.tolist() == [0, -1] and selection.reasons == (None, BELOW_CALIBRATED_THRESHOLD)
    torch.testing.assert_close(selection.logit, torch.tensor([3.0, 0.6]))
    with pytest.raises(ValueError, match="threshold"):
        select_regions(scores, rule)


def test_every_listed_rule_parses_to_its_own_name_and_bad_names_are_named():
    assert [parse_alignment(name).name for name in ALIGNMENTS] == list(ALIGNMENTS)
    for bad in ("softmax", "eq2+gate+objectness", "eq2+gate+bg-gate", "eq2+objectness+objectness",
                "eq2+calibrated@70+gate", "eq2+calibrated@x", "eq2+calibrated@100", "eq2+refine+coverage"):
        with pytest.raises(ValueError, match="alignment"):
            parse_alignment(bad)


def test_eq2_without_regions_is_an_error():
    with pytest.raises(ValueError, match="no proposals"):
        select_regions(torch.ones(1, 0), parse_alignment("eq2"))


def test_eq4_binarizes_at_logit_zero():
    logits = torch.tensor([[-1e-4, 0.0], [3.0, -2.0]])
    assert binarize_mask(logits).tolist() == [[False, True], [True, False]]


def test_a_noun_left_without_a_region_keeps_its_best_score_not_region_0s():
    scores = torch.tensor([[-3.0, -1.0, -2.0], [1.0, 4.0, 0.5]])  # noun 0 beats background nowhere
    selection = select_regions(scores, parse_alignment("eq2+bg-gate"))
    assert selection.region.tolist() == [-1, 1]
    assert selection.logit.tolist() == [-1.0, 4.0]
