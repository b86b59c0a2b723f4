import torch

from xpm.modeling.grounding import caption_grounding_loss


def _vocabulary():
    # Three orthogonal words: row 0 a base class, rows 1 and 2 caption nouns.
    return torch.eye(3, 8)


def test_a_region_showing_the_named_word_lowers_the_loss():
    vocabulary = _vocabulary()
    named = [torch.tensor([1])]
    showing = torch.zeros(2, 8)
    showing[1, 1] = 6.0
    not_showing = torch.zeros(2, 8)
    not_showing[1, 2] = 6.0
    ones = [torch.ones(2)]
    assert caption_grounding_loss([showing], ones, vocabulary, named) < caption_grounding_loss([not_showing], ones, vocabulary, named)


def test_the_named_word_claims_the_region_its_base_class_does_not_explain():
    """Explaining away: region 0 is already the base class (word 0), region 1 is still unknown.
    Training on a caption naming both words moves word 1 onto region 1, not region 0."""
    vocabulary = _vocabulary()
    regions = torch.zeros(2, 8)
    regions[0, 0] = 5.0
    regions[0, 1] = 1.0
    regions[1, 3] = 0.5
    regions.requires_grad_(True)
    optimizer = torch.optim.SGD([regions], lr=0.5)
    for _ in range(50):
        optimizer.zero_grad()
        caption_grounding_loss([regions], [torch.ones(2)], vocabulary, [torch.tensor([0, 1])]).backward()
        optimizer.step()
    scores = regions.detach() @ vocabulary.T
    assert scores[:, 1].argmax() == 1
    assert scores[0].argmax() == 0


def test_unnamed_words_are_pushed_off_every_region():
    vocabulary = _vocabulary()
    regions = torch.zeros(3, 8)
    regions[:, 2] = 3.0
    regions.requires_grad_(True)
    caption_grounding_loss([regions], [torch.ones(3)], vocabulary, [torch.tensor([1])]).backward()
    # The gradient step lowers word 2's score on its best region.
    assert (regions.grad[:, 2] > 0).any()


def test_images_without_regions_give_a_zero_loss_that_still_backpropagates():
    vocabulary = _vocabulary()
    regions = torch.zeros(0, 8, requires_grad=True)
    loss = caption_grounding_loss([regions], [torch.ones(0)], vocabulary, [torch.tensor([1])])
    loss.backward()
    assert loss.item() == 0.0


def test_objectness_steers_the_named_word_to_the_whole_object_not_its_part():
    """Region 0 is a part (objectness 0.2) that already matches the word a little better than
    the whole object (region 1, objectness 0.9): the gradient goes to the whole object."""
    vocabulary = _vocabulary()
    regions = torch.zeros(2, 8)
    regions[0, 1] = 1.0
    regions[1, 1] = 0.5
    regions.requires_grad_(True)
    caption_grounding_loss([regions], [torch.tensor([0.2, 0.9])], vocabulary, [torch.tensor([1])]).backward()
    assert regions.grad[0].abs().sum() == 0
    assert regions.grad[1, 1] < 0
