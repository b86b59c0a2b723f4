import pytest
import torch
import torch.nn.functional as F

from xpm.modeling.embedding_head import EmbeddingBoxPredictor, embedding_scores
from xpm.modeling.losses import background_weighted_classification_loss


def test_scores_are_eq1_dot_products_with_a_zero_background_row():
    regions = torch.randn(5, 8)
    classes = F.normalize(torch.randn(3, 8), dim=1)
    scores = embedding_scores(regions, classes)
    assert scores.shape == (5, 4)
    torch.testing.assert_close(scores[:, 0], torch.zeros(5))
    torch.testing.assert_close(scores[:, 1:], regions @ classes.T)


def test_swapping_the_vocabulary_changes_classes_not_weights():
    torch.manual_seed(0)
    head = EmbeddingBoxPredictor(16, 8)
    features = torch.randn(4, 16)
    before = {k: v.clone() for k, v in head.state_dict().items()}
    head.set_vocabulary(torch.randn(3, 8))
    scores_a, boxes_a = head(features)
    head.set_vocabulary(torch.randn(7, 8))
    scores_b, boxes_b = head(features)
    assert scores_a.shape == (4, 4) and scores_b.shape == (4, 8)
    torch.testing.assert_close(boxes_a, boxes_b)
    assert boxes_a.shape == (4, 4)  # class-agnostic regression
    assert set(head.state_dict()) == set(before)  # the vocabulary is not saved as a weight
    for key, value in head.state_dict().items():
        torch.testing.assert_close(value, before[key])


def test_vocabulary_of_another_text_model_is_rejected():
    head = EmbeddingBoxPredictor(16, 8)
    with pytest.raises(ValueError, match=r"\[classes, 8\]"):
        head.set_vocabulary(torch.randn(3, 384))
    with pytest.raises(RuntimeError, match="set_vocabulary"):
        head(torch.randn(2, 16))


def test_background_weight_scales_background_terms():
    scores = torch.tensor([[2.0, 0.5, -1.0], [0.1, 3.0, 0.0]])
    labels = torch.tensor([0, 1])
    ce = F.cross_entropy(scores, labels, reduction="none")
    expected = (0.2 * ce[0] + ce[1]) / 1.2
    torch.testing.assert_close(background_weighted_classification_loss(scores, labels, 0.2), expected)
    torch.testing.assert_close(background_weighted_classification_loss(scores, labels, 1.0), ce.mean())
