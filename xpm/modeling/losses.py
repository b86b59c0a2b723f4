"""Losses of the teacher (L_GT), as free functions on tensors."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def background_weighted_classification_loss(
    scores: torch.Tensor, labels: torch.Tensor, background_weight: float = 0.2
) -> torch.Tensor:
    """Cross-entropy over [background, vocabulary] with background terms weighted (paper 4.1: 0.2).

    Down-weighting background raises the recall of classes that training never labelled, which
    the teacher otherwise learns to call background. ``labels`` are 0 for background.
    """
    weights = torch.ones(scores.shape[1], dtype=scores.dtype, device=scores.device)
    weights[0] = background_weight
    per_region = F.cross_entropy(scores, labels, reduction="none")
    return (per_region * weights[labels]).sum() / weights[labels].sum().clamp_min(1e-6)


def class_agnostic_box_loss(deltas: torch.Tensor, regression_targets: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Smooth-L1 on the one set of deltas of each foreground region, averaged over all sampled
    regions as Fast R-CNN does (so an image with few objects does not weigh more)."""
    foreground = labels > 0
    loss = F.smooth_l1_loss(deltas[foreground], regression_targets[foreground], beta=1 / 9, reduction="sum")
    return loss / max(labels.numel(), 1)


def mask_loss(mask_logits: torch.Tensor, mask_targets: torch.Tensor) -> torch.Tensor:
    """Per-pixel BCE of the class-agnostic mask logits ``[R, M, M]`` against 0/1 targets."""
    if mask_targets.numel() == 0:
        return mask_logits.sum() * 0
    return F.binary_cross_entropy_with_logits(mask_logits, mask_targets)
