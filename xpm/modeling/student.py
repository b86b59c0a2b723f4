"""The robust student (paper 3.2.3-3.2.4): the teacher's architecture plus g_Noise. On base
images it takes the teacher's losses (L_GT); on captioned images L_X^alpha (Eq. 3 weighted by
Eq. 7) and L_M (Eq. 6) on the aligned pseudo boxes (see ``student_losses`` for why those)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torchvision.models.detection.roi_heads import project_masks_on_boxes

from xpm.modeling.detector import OpenVocabMaskRCNN
from xpm.modeling.mask_branch import MASK_SIZE
from xpm.modeling.noise_head import NoiseHead
from xpm.modeling.student_losses import (ALPHA_SCALES, RunningGroupMeans, agreement, cross_modal_loss, inverse_noise,
                                         mean_one, noisy_mask_loss, reliability)

# The per-label signals a reliability weight multiplies ("+" joins them, e.g. noise+agreement).
RELIABILITY_SIGNALS = ("noise", "class-score", "agreement")
RELIABILITY_MODES = ("noise", "none", "class-score", "agreement", "noise+agreement", "class-score+agreement")


def reliability_signals(mode: str) -> tuple[str, ...]:
    """The signals of a reliability mode (none: no signal); a ValueError names a wrong one."""
    signals = () if mode == "none" else tuple(mode.split("+"))
    if mode != "none" and (not all(signal in RELIABILITY_SIGNALS for signal in signals) or len(set(signals)) < len(signals)):
        raise ValueError(f"reliability={mode!r}: none, or signals joined by '+' from {', '.join(RELIABILITY_SIGNALS)} "
                         f"(e.g. {', '.join(RELIABILITY_MODES)}).")
    return signals


@dataclass(frozen=True)
class CaptionLossSettings:
    mask_loss: bool = True
    # noise: alpha of Eq. 7; none: every pseudo label weighs 1; class-score: the teacher's score;
    # agreement: the student's own probability of the label's noun at its box (student_losses.
    # agreement); signals joined by "+": their product. Scaled as alpha_scale says.
    reliability: str = "noise"
    eta: float = 0.01
    alpha_scale: str = "batch-mean"
    alpha_cap: float = 10.0
    mask_samples: int = 8

    def __post_init__(self) -> None:
        signals = reliability_signals(self.reliability)
        if self.alpha_scale not in ALPHA_SCALES:
            raise ValueError(f"alpha_scale={self.alpha_scale!r}: one of {', '.join(ALPHA_SCALES)}.")
        if self.alpha_scale == "eta" and signals not in ((), ("noise",), ("class-score",)):
            raise ValueError(f"reliability={self.reliability!r} has no eta constant (the paper's eta is Eq. 7's, for "
                             "noise alone): use alpha_scale batch-mean or group-mean.")
        if self.eta <= 0 or self.alpha_cap <= 0 or self.mask_samples < 1:
            raise ValueError("eta and alpha_cap must be positive and mask_samples at least 1.")


def student_from_checkpoint(checkpoint, device) -> "RobustStudent":
    """A trained student (detector + g_Noise) from its checkpoint; a teacher's has no g_Noise."""
    from xpm.modeling.checkpoint import detector_from_checkpoint
    from xpm.modeling.errors import CheckpointError

    if "noise_head" not in checkpoint.training:
        raise CheckpointError("this checkpoint has no noise head: use a student trained with losses gt+x+m or gt+x+m+alpha.")
    student = RobustStudent(detector_from_checkpoint(checkpoint, device)).to(device)
    student.noise_head.load_state_dict(checkpoint.training["noise_head"])
    return student


class RobustStudent(nn.Module):
    def __init__(self, detector: OpenVocabMaskRCNN):
        super().__init__()
        self.detector = detector
        self.noise_head = NoiseHead(detector.roi_heads.mask_branch.out_channels)
        self.weight_means = RunningGroupMeans()

    def forward(self, base: tuple[list, list[dict]], caption: tuple[list, list[dict]], vocabulary: torch.Tensor,
                settings: "CaptionLossSettings", novel_rows: torch.Tensor | None = None):
        """One training step's losses: L_GT on the base batch (the teacher's losses) plus the
        caption losses on the captioned batch; one forward, so DDP sees every gradient."""
        losses = self.detector(*base)
        caption_losses, stats = self.caption_losses(*caption, vocabulary, settings, novel_rows)
        return {**losses, **caption_losses}, stats

    def caption_outputs(self, images: list[torch.Tensor], targets: list[dict]):
        """For each pseudo box (resized with its image): g_Emb(f_{b_o}), mask logits, g_Noise and
        the pseudo-mask targets at mask-head resolution."""
        plain = [{"boxes": t["boxes"], "masks": t["masks"]} for t in targets]
        image_list, resized = self.detector.transform(images, plain)
        features = self.detector.backbone(image_list.tensors)
        boxes, sizes = [t["boxes"] for t in resized], image_list.image_sizes
        heads = self.detector.roi_heads
        region_embeddings, _ = heads.box_branch(features, boxes, sizes)
        mask_features = heads.mask_branch.features(features, boxes, sizes)
        mask_targets = [
            project_masks_on_boxes(t["masks"], t["boxes"], torch.arange(len(t["boxes"]), device=t["boxes"].device), MASK_SIZE)
            for t in resized if len(t["boxes"])
        ]
        targets_tensor = torch.cat(mask_targets) if mask_targets else mask_features.new_zeros((0, MASK_SIZE, MASK_SIZE))
        return region_embeddings, heads.mask_branch.logits(mask_features), self.noise_head(mask_features), targets_tensor

    def caption_losses(self, images, targets, vocabulary: torch.Tensor, settings: CaptionLossSettings,
                       novel_rows: torch.Tensor | None = None):
        """``{"loss_cross_modal", ["loss_pseudo_mask"]}`` and statistics (``mean_alpha``,
        ``mean_noise``) as plain floats. ``novel_rows [V]`` (bool) marks the caption-vocabulary
        rows that name no base class, which alpha_scale group-mean needs."""
        region_embeddings, mask_logits, variance, mask_targets = self.caption_outputs(images, targets)
        vocab_index = torch.cat([t["vocab_index"] for t in targets]).to(region_embeddings.device)
        alpha = label_weights(settings, variance, region_embeddings, vocabulary, vocab_index,
                              torch.cat([t["teacher_scores"] for t in targets]).to(region_embeddings.device),
                              novel_rows, self.weight_means if self.training else None)
        losses = {"loss_cross_modal": cross_modal_loss(region_embeddings, vocabulary, vocab_index, alpha)}
        if settings.mask_loss:
            losses["loss_pseudo_mask"] = noisy_mask_loss(mask_logits, variance, mask_targets, settings.mask_samples)
        stats = {
            "mean_alpha": float(alpha.mean()) if alpha is not None and alpha.numel() else 1.0,
            "mean_noise": float(variance.detach().mean()) if variance.numel() else 0.0,
        }
        return losses, stats


def novel_rows(words, base_classes) -> torch.Tensor:
    """``[V]`` bool: which caption-vocabulary words name none of the base classes (by name, so a
    synonym of a base class, "puppy" for dog, counts as novel)."""
    base = set(base_classes)
    return torch.tensor([word not in base for word in words], dtype=torch.bool)


def label_weights(settings: CaptionLossSettings, variance: torch.Tensor, region_embeddings: torch.Tensor,
                  vocabulary: torch.Tensor, vocab_index: torch.Tensor, teacher_scores: torch.Tensor,
                  novel_rows: torch.Tensor | None = None, running: RunningGroupMeans | None = None) -> torch.Tensor | None:
    """The per-label weight of L_X^alpha under ``settings.reliability`` (None: every label
    weighs 1), for pseudo labels with g_Noise ``variance [K, M, M]``, the student's region
    embeddings ``[K, D]``, their nouns' rows ``vocab_index [K]`` of ``vocabulary [V, D]`` and
    the teacher's scores ``[K]``. Under group-mean, ``novel_rows [V]`` groups the labels and
    ``running`` (training) supplies the means; without it the given labels' own means are used.
    The one definition training and the reliability report share."""
    signals = reliability_signals(settings.reliability)
    if not signals:
        return None
    if settings.alpha_scale == "eta":
        return (reliability(variance, settings.eta, settings.alpha_cap) if signals == ("noise",)
                else teacher_scores.detach())
    raw = torch.ones(len(vocab_index), device=region_embeddings.device)
    if "noise" in signals:
        raw = raw * inverse_noise(variance).to(raw.dtype)
    if "class-score" in signals:
        raw = raw * teacher_scores.detach().to(raw.dtype)
    if "agreement" in signals:
        raw = raw * agreement(region_embeddings, vocabulary, vocab_index).to(raw.dtype)
    groups = means = None
    if settings.alpha_scale == "group-mean":
        if novel_rows is None:
            raise ValueError("alpha_scale group-mean needs which vocabulary rows are novel nouns (novel_rows).")
        groups = novel_rows.to(vocab_index.device)[vocab_index].long()
        means = running.update(raw, groups) if running is not None else None
    return mean_one(raw, groups, means).clamp(max=settings.alpha_cap)
