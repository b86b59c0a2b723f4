import pytest
import torch

from xpm.modeling.alignment import align_nouns, binarize_mask


def test_eq2_picks_for_each_noun_the_region_of_highest_dot_product():
    regions = torch.tensor([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.5, 3.0], [0.9, 0.9, 0.0]])
    nouns = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.6, 0.8, 0.0]])
    index, score = align_nouns(regions, nouns)
    assert index.tolist() == [0, 1, 2, 1]
    torch.testing.assert_close(score, torch.tensor([1.0, 2.0, 3.0, 1.6]))


def test_eq2_is_not_the_highest_norm_region_but_the_best_match():
    regions = torch.tensor([[10.0, -10.0], [0.1, 0.2]])
    index, _ = align_nouns(regions, torch.tensor([[0.0, 1.0]]))
    assert index.tolist() == [1]


def test_objectness_moves_a_noun_off_a_likelier_part_and_keeps_the_eq2_score():
    regions = torch.tensor([[2.0, 0.0], [1.5, 0.0]])  # a part that matches the word best, the whole object
    nouns = torch.tensor([[1.0, 0.0]])
    objectness = torch.tensor([0.05, 0.9])
    assert align_nouns(regions, nouns)[0].tolist() == [0]
    index, score = align_nouns(regions, nouns, objectness)
    assert index.tolist() == [1]
    torch.testing.assert_close(score, torch.tensor([1.5]))
    # a score lead larger than the log-objectness gap keeps the part
    assert align_nouns(regions * 8, nouns, objectness)[0].tolist() == [0]


def test_eq2_without_regions_is_an_error():
    with pytest.raises(ValueError, match="no proposals"):
        align_nouns(torch.zeros(0, 3), torch.ones(1, 3))


def test_eq4_binarizes_at_logit_zero():
    logits = torch.tensor([[-1e-4, 0.0], [3.0, -2.0]])
    assert binarize_mask(logits).tolist() == [[False, True], [True, False]]
