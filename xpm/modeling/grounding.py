"""Caption grounding of the teacher: the captioned images teach h_Emb the words that base-class
ground truth never shows it. The paper's teacher gets this from OVR-CNN's caption pretraining
(paper 4.1); here it is trained jointly with L_GT as multiple-instance learning over the regions
Eq. 2 later chooses from."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from xpm.modeling.embedding_head import embedding_scores

_EPS = 1e-6


def caption_grounding_loss(region_embeddings: list[torch.Tensor], objectness: list[torch.Tensor], vocabulary: torch.Tensor,
                           named: list[torch.Tensor]) -> torch.Tensor:
    """An image shows the words its caption names and none of the batch's other words.

    Each region's softmax over [background, vocabulary] (Eq. 1) makes words compete for it, so
    a region its base class already explains is not claimed by a new word. An image's
    probability of a word is the best of its regions' probabilities times their objectness:
    without the objectness the most telling part of an object wins (measured on the demo world:
    41% of target nouns then aligned to a box overlapping their object by IoU 0.1-0.5), while
    the RPN, trained on whole base objects, ranks whole objects above their parts. Binary
    cross-entropy with named and unnamed words averaged apart, so the few named words weigh as
    much as the many others. ``region_embeddings``: per image ``[R_i, D]``; ``objectness``: per
    image ``[R_i]`` in [0, 1]; ``named``: per image the named rows of ``vocabulary [V, D]``.
    """
    named_terms, unnamed_terms = [], []
    for regions, region_objectness, rows in zip(region_embeddings, objectness, named):
        if regions.shape[0] == 0:
            continue
        word_probability = F.softmax(embedding_scores(regions, vocabulary), dim=-1)[:, 1:]
        probability = (word_probability * region_objectness.to(word_probability.dtype)[:, None]).max(dim=0).values
        is_named = torch.zeros_like(probability, dtype=torch.bool)
        is_named[rows.to(probability.device)] = True
        probability = probability.clamp(_EPS, 1 - _EPS)
        named_terms.append(-probability[is_named].log())
        unnamed_terms.append(-(1 - probability[~is_named]).log())
    if not named_terms:
        return vocabulary.new_zeros(()) + sum(r.sum() for r in region_embeddings) * 0
    loss = torch.cat(named_terms).mean()
    unnamed = torch.cat(unnamed_terms)
    return loss + unnamed.mean() if unnamed.numel() else loss


class CaptionGroundedTeacher(nn.Module):
    """The teacher's training step with captions: L_GT on a base batch plus the weighted
    grounding loss on a captioned batch, in one forward so that DDP sees every gradient."""

    def __init__(self, detector: nn.Module, weight: float):
        super().__init__()
        self.detector = detector
        self.weight = weight

    def forward(self, base: tuple[list, list[dict]], captioned: list[torch.Tensor], vocabulary: torch.Tensor,
                named: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        losses = self.detector(*base)
        regions, objectness = self.detector.proposal_embeddings(captioned)
        losses["loss_grounding"] = self.weight * caption_grounding_loss(regions, objectness, vocabulary, named)
        return losses
