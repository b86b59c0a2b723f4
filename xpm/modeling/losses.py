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
