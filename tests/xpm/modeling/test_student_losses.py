import pytest
import torch
import torch.nn.functional as F

from xpm.modeling.noise_head import NoiseHead
from xpm.modeling.student_losses import RunningGroupMeans, agreement, cross_modal_loss, mean_one, noisy_mask_loss, reliability


def test_eq6_with_zero_noise_is_plain_bce():
    torch.manual_seed(0)
    logits, masks = torch.randn(3, 28, 28), torch.rand(3, 28, 28) > 0.5
    expected = F.binary_cross_entropy_with_logits(logits, masks.float())
    torch.testing.assert_close(noisy_mask_loss(logits, torch.zeros(3, 28, 28), masks, samples=4), expected)


def test_eq6_on_a_soft_target_is_the_expected_soft_likelihood_under_the_noise():
    # Boundary pixels of a resampled pseudo mask are fractional; the loss must be
    # -log E_eps[s(z + eps)^t s(-(z + eps))^(1 - t)], computed here by quadrature over eps.
    logit, variance, target = 0.3, 2.0, 0.75
    eps = torch.linspace(-12, 12, 200_001, dtype=torch.float64) * variance**0.5
    density = torch.exp(-eps**2 / (2 * variance))
    z = logit + eps
    likelihood = torch.exp(target * F.logsigmoid(z) + (1 - target) * F.logsigmoid(-z))
    expected = -torch.log((likelihood * density).sum() / density.sum())
    torch.manual_seed(0)
    loss = noisy_mask_loss(torch.full((1, 1, 1), logit, dtype=torch.float64), torch.full((1, 1, 1), variance, dtype=torch.float64),
                           torch.full((1, 1, 1), target, dtype=torch.float64), samples=400_000)
    assert loss.item() == pytest.approx(expected.item(), abs=2e-3)


def test_eq6_pulls_a_half_target_towards_an_undecided_logit():
    logits = torch.tensor([[[2.0, -1.0]]], requires_grad=True)
    variance = torch.full((1, 1, 2), 0.3, requires_grad=True)
    torch.manual_seed(0)
    noisy_mask_loss(logits, variance, torch.full((1, 1, 2), 0.5), samples=64).backward()
    assert logits.grad[0, 0, 0] > 0.1 and logits.grad[0, 0, 1] < -0.05
    assert variance.grad.abs().min() > 0
    # Without noise, the gradient of a soft target is BCE's: (s(z) - t) / pixels.
    plain = torch.tensor([[[2.0, -1.0]]], requires_grad=True)
    noisy_mask_loss(plain, torch.zeros(1, 1, 2), torch.full((1, 1, 2), 0.5)).backward()
    torch.testing.assert_close(plain.grad, (torch.sigmoid(plain.detach()) - 0.5) / 2)


def test_eq6_gradient_reaches_the_noise_head():
    torch.manual_seed(0)
    head = NoiseHead(8)
    features = torch.randn(2, 8, 28, 28)
    variance = head(features)
    loss = noisy_mask_loss(torch.randn(2, 28, 28), variance, torch.rand(2, 28, 28) > 0.5, samples=2)
    loss.backward()
    assert head.to_variance.weight.grad is not None and head.to_variance.weight.grad.abs().sum() > 0


def test_eq6_raises_noise_where_the_pseudo_mask_contradicts_the_prediction():
    # A confident prediction that a pseudo label contradicts: more noise lowers the expected loss.
    logits = torch.full((1, 4, 4), 6.0)
    wrong = torch.zeros(1, 4, 4, dtype=torch.bool)
    variance = torch.full((1, 4, 4), 0.5, requires_grad=True)
    torch.manual_seed(0)
    noisy_mask_loss(logits, variance, wrong, samples=64).backward()
    assert variance.grad.sum() < 0


def test_eq6_lowers_noise_where_the_pseudo_mask_agrees_with_the_prediction():
    logits = torch.full((1, 4, 4), 1.0)
    right = torch.ones(1, 4, 4, dtype=torch.bool)
    variance = torch.full((1, 4, 4), 0.5, requires_grad=True)
    torch.manual_seed(0)
    noisy_mask_loss(logits, variance, right, samples=256).backward()
    assert variance.grad.sum() > 0


def test_eq3_alpha_sends_no_gradient_into_the_noise_head():
    head = NoiseHead(8)
    variance = head(torch.randn(2, 8, 28, 28))
    alpha = reliability(variance, eta=0.01, cap=10.0)
    regions = torch.randn(2, 5, requires_grad=True)
    loss = cross_modal_loss(regions, F.normalize(torch.randn(4, 5), dim=1), torch.tensor([0, 3]), alpha)
    loss.backward()
    assert regions.grad is not None
    assert head.to_variance.weight.grad is None and head.conv.weight.grad is None


def test_eq7_alpha_is_larger_for_a_cleaner_mask_and_capped():
    clean, noisy = torch.full((1, 28, 28), 0.01), torch.full((1, 28, 28), 0.5)
    alpha = reliability(torch.cat([clean, noisy]), eta=0.01, cap=10.0)
    assert alpha[0] > alpha[1]
    torch.testing.assert_close(alpha, torch.tensor([1.0, 0.02]))
    assert reliability(torch.full((1, 28, 28), 1e-6), eta=0.01, cap=10.0).item() == pytest.approx(10.0)


def test_batch_mean_alpha_keeps_only_relative_reliability():
    levels = torch.tensor([0.001, 0.002, 0.004]).view(3, 1, 1).expand(3, 28, 28)
    alpha = reliability(levels, eta=0.01, cap=10.0, scale="batch-mean")
    assert alpha.mean().item() == pytest.approx(1.0)
    assert alpha[0] > alpha[1] > alpha[2]
    # The same ranking whatever the noise head's overall level, unlike a constant eta.
    torch.testing.assert_close(reliability(levels * 50, eta=0.01, cap=10.0, scale="batch-mean"), alpha)
    assert not torch.allclose(reliability(levels * 50, eta=0.01, cap=10.0), reliability(levels, eta=0.01, cap=10.0))
    with pytest.raises(ValueError, match="alpha scale"):
        reliability(levels, eta=0.01, cap=10.0, scale="median")


def test_eq3_is_the_softmax_cross_entropy_over_the_caption_vocabulary():
    regions = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    vocabulary = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    targets = torch.tensor([0, 1])
    logits = regions @ vocabulary.T
    expected = F.cross_entropy(logits, targets)
    torch.testing.assert_close(cross_modal_loss(regions, vocabulary, targets), expected)
    weighted = cross_modal_loss(regions, vocabulary, targets, torch.tensor([2.0, 0.0]))
    torch.testing.assert_close(weighted, F.cross_entropy(logits[:1], targets[:1]) * 2 / 2)


def test_a_clean_mask_naming_an_absent_noun_is_weighed_down_by_agreement_not_by_eq7():
    # Vocabulary: three orthogonal words. Region 0 shows word 0 and is labelled 0 (correct);
    # region 1 shows word 1 but its caption named word 2, absent from the image. Both pseudo
    # masks are clean, so g_Noise predicts the same low noise for both.
    vocabulary = torch.eye(3) * 4
    regions = torch.stack([torch.tensor([1.0, 0, 0]), torch.tensor([0, 1.0, 0])])
    labels = torch.tensor([0, 2])
    clean = torch.full((2, 28, 28), 1e-3)
    noise_alpha = reliability(clean, eta=0.01, cap=10.0, scale="batch-mean")
    assert torch.allclose(noise_alpha, torch.ones(2))  # Eq. 7 cannot tell them apart
    weights = mean_one(agreement(regions, vocabulary, labels))
    assert weights[0] > 1.5 and weights[1] < 0.1
    assert torch.isclose(weights.mean(), torch.tensor(1.0))


def test_agreement_sends_no_gradient_through_the_weight():
    vocabulary = torch.randn(5, 8)
    regions = torch.randn(6, 8, requires_grad=True)
    labels = torch.randint(0, 5, (6,))
    weights = mean_one(agreement(regions, vocabulary, labels))
    assert not weights.requires_grad
    cross_modal_loss(regions, vocabulary, labels, weights).backward()
    expected = torch.autograd.grad(
        (F.cross_entropy(regions @ vocabulary.T, labels, reduction="none") * weights).mean(), regions)[0]
    torch.testing.assert_close(regions.grad, expected)


def test_group_means_keep_the_ranking_inside_each_group_and_level_the_groups():
    # Base-noun labels (group 0) get high raw weights, novel ones (group 1) low: one mean would
    # weigh the novel group down as a whole; per-group means level it and keep its order.
    raw = torch.tensor([0.9, 0.8, 0.1, 0.05, 0.15])
    groups = torch.tensor([0, 0, 1, 1, 1])
    one_mean = mean_one(raw)
    assert one_mean[groups == 1].mean() < 0.3
    leveled = mean_one(raw, groups)
    torch.testing.assert_close(leveled[groups == 0].mean(), torch.tensor(1.0))
    torch.testing.assert_close(leveled[groups == 1].mean(), torch.tensor(1.0))
    assert leveled[4] > leveled[2] > leveled[3]


def test_running_group_means_start_at_the_first_batch_and_then_move_slowly():
    running = RunningGroupMeans(groups=2, momentum=0.9)
    means = running.update(torch.tensor([2.0, 4.0]), torch.tensor([0, 0])).clone()
    torch.testing.assert_close(means, torch.tensor([3.0, 0.0]))
    means = running.update(torch.tensor([13.0, 1.0]), torch.tensor([0, 1]))
    torch.testing.assert_close(means, torch.tensor([0.9 * 3.0 + 0.1 * 13.0, 1.0]))
    # a lone novel label is weighed against the running mean, not set to 1 by its own
    weight = mean_one(torch.tensor([0.5]), torch.tensor([1]), means)
    torch.testing.assert_close(weight, torch.tensor([0.5]))
