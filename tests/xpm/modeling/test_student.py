import pytest
import torch
import torch.nn.functional as F

from xpm.modeling.backbone import build_backbone
from xpm.modeling.detector import build_detector
from xpm.modeling.student import RELIABILITY_MODES, CaptionLossSettings, RobustStudent


@pytest.fixture
def student(tiny_model_config):
    torch.manual_seed(0)
    detector = build_detector(tiny_model_config, embedding_dim=8,
                              backbone=build_backbone(tiny_model_config, pretrained_from=None, pretrained=False))
    detector.set_vocabulary(F.normalize(torch.randn(3, 8), dim=1))
    return RobustStudent(detector).train()


def _caption_batch():
    masks = torch.zeros(2, 64, 64, dtype=torch.uint8)
    masks[0, 8:30, 8:30] = 1
    masks[1, 35:60, 20:50] = 1
    target = {"boxes": torch.tensor([[6.0, 6, 32, 32], [18, 33, 52, 62]]), "masks": masks,
              "vocab_index": torch.tensor([0, 2]), "teacher_scores": torch.tensor([0.9, 0.2])}
    return [torch.rand(3, 64, 64)], [target]


@pytest.mark.parametrize("mode", RELIABILITY_MODES)
@pytest.mark.parametrize("scale", ["batch-mean", "group-mean"])
def test_caption_losses_for_each_reliability(student, mode, scale):
    vocabulary = F.normalize(torch.randn(5, 8), dim=1)
    novel = torch.tensor([False, True, True, True, True])
    losses, stats = student.caption_losses(*_caption_batch(), vocabulary, CaptionLossSettings(reliability=mode, alpha_scale=scale),
                                           novel)
    assert set(losses) == {"loss_cross_modal", "loss_pseudo_mask"}
    assert all(torch.isfinite(v) for v in losses.values())
    # every weight averages 1 per batch (group-mean: per group, one label each, so each is 1)
    assert stats["mean_alpha"] == pytest.approx(1.0)


@pytest.mark.parametrize("mode", RELIABILITY_MODES)
def test_a_label_weight_is_the_product_of_its_signals_over_the_batch_mean(mode):
    from xpm.modeling.student import label_weights
    from xpm.modeling.student_losses import agreement, inverse_noise

    torch.manual_seed(0)
    variance = torch.rand(3, 4, 4) + 0.1
    regions, vocabulary = F.normalize(torch.randn(3, 8), dim=1), F.normalize(torch.randn(5, 8), dim=1)
    index, scores = torch.tensor([0, 2, 4]), torch.tensor([0.9, 0.2, 0.5])
    signals = {"noise": inverse_noise(variance), "class-score": scores, "agreement": agreement(regions, vocabulary, index)}
    weights = label_weights(CaptionLossSettings(reliability=mode, alpha_cap=100.0), variance, regions, vocabulary, index, scores)
    if mode == "none":
        assert weights is None
        return
    raw = torch.stack([signals[name] for name in mode.split("+")]).prod(dim=0)
    torch.testing.assert_close(weights, raw / raw.mean())
    assert len(set(weights.tolist())) == 3  # the signals differ per label: a constant weight would pass the mean alone


def test_under_alpha_scale_eta_class_score_is_the_teacher_score_itself(student):
    vocabulary = F.normalize(torch.randn(5, 8), dim=1)
    _, stats = student.caption_losses(*_caption_batch(), vocabulary, CaptionLossSettings(reliability="class-score", alpha_scale="eta"))
    assert stats["mean_alpha"] == pytest.approx(0.55)


@pytest.mark.parametrize("mode", ["agreement", "noise+agreement", "class-score+agreement"])
def test_signals_without_an_eta_constant_refuse_alpha_scale_eta(mode):
    with pytest.raises(ValueError, match="no eta constant"):
        CaptionLossSettings(reliability=mode, alpha_scale="eta")


@pytest.mark.parametrize("mode", ["agreement+agreement", "noise+", "score"])
def test_a_wrong_reliability_is_named(mode):
    with pytest.raises(ValueError, match="reliability="):
        CaptionLossSettings(reliability=mode)


def test_group_mean_in_training_weighs_a_batch_against_the_running_means(student):
    vocabulary = F.normalize(torch.randn(5, 8), dim=1)
    novel = torch.tensor([False, True, True, True, True])
    settings = CaptionLossSettings(reliability="class-score", alpha_scale="group-mean")
    images, targets = _caption_batch()
    student.caption_losses(images, targets, vocabulary, settings, novel)
    torch.testing.assert_close(student.weight_means.means, torch.tensor([0.9, 0.2]))
    weaker = [{**targets[0], "teacher_scores": torch.tensor([0.45, 0.1])}]
    _, stats = student.caption_losses(images, weaker, vocabulary, settings, novel)
    # half the running means' scores: weights well under 1, where a batch mean would say 1
    assert stats["mean_alpha"] < 0.6
    student.eval()
    _, stats = student.caption_losses(images, weaker, vocabulary, settings, novel)
    assert stats["mean_alpha"] == pytest.approx(1.0)


def test_loss_on_one_caption_batch_decreases(student):
    vocabulary = F.normalize(torch.randn(5, 8), dim=1)
    optimizer = torch.optim.AdamW(student.parameters(), lr=1e-3)
    images, targets = _caption_batch()
    settings = CaptionLossSettings(reliability="none")
    totals = []
    for _ in range(15):
        losses, _ = student.caption_losses(images, targets, vocabulary, settings)
        total = sum(losses.values())
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        totals.append(total.item())
    assert totals[-1] < totals[0] * 0.8


def test_the_noise_head_learns_only_from_the_mask_loss(student):
    vocabulary = F.normalize(torch.randn(5, 8), dim=1)
    losses, _ = student.caption_losses(*_caption_batch(), vocabulary, CaptionLossSettings(reliability="noise"))
    losses["loss_cross_modal"].backward(retain_graph=True)
    assert all(p.grad is None for p in student.noise_head.parameters())
    losses["loss_pseudo_mask"].backward()
    assert all(p.grad is not None for p in student.noise_head.parameters())
