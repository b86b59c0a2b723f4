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


def test_a_word_moves_off_an_object_that_images_without_it_also_show():
    """Image A shows a shared object and another one and names word 1; image B shows only the
    shared object and names word 0. Word 1 starts on the shared object; training moves it to A's
    other object, the one B does not have."""
    vocabulary = _vocabulary()
    shared = torch.zeros(8)
    shared[1] = 1.0
    other = torch.zeros(8)
    other[1] = 0.5
    shared.requires_grad_(True)
    other.requires_grad_(True)
    optimizer = torch.optim.SGD([shared, other], lr=0.5)
    for _ in range(50):
        optimizer.zero_grad()
        regions = [torch.stack([shared, other]), shared[None]]
        caption_grounding_loss(regions, [torch.ones(2), torch.ones(1)], vocabulary, [torch.tensor([1]), torch.tensor([0])]).backward()
        optimizer.step()
    # Eq. 2 in image A now picks the other object for word 1.
    assert float(other.detach() @ vocabulary[1]) > float(shared.detach() @ vocabulary[1])


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
    the whole object (region 1, objectness 0.9): the whole object is pushed up the most."""
    vocabulary = _vocabulary()
    regions = torch.zeros(2, 8)
    regions[0, 1] = 1.0
    regions[1, 1] = 0.5
    regions.requires_grad_(True)
    caption_grounding_loss([regions], [torch.tensor([0.2, 0.9])], vocabulary, [torch.tensor([1])]).backward()
    assert regions.grad[1, 1] < regions.grad[0, 1] < 0
