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

    A region shows word w with probability sigmoid(v_w^T h_Emb(f_r)): Eq. 1's score against the
    zero background embedding, so what this trains is what Eq. 2 ranks. Words do not compete in
    a softmax: the teacher calls target objects confidently by the base class they resemble, and
    a softmax then pushes the target word off the whole object onto its parts (measured on the
    demo world: 38-41% of target nouns aligned to a box overlapping their object by IoU 0.1-0.5).
    An image's probability of a word is a soft maximum over its regions: their probabilities
    averaged with weights proportional to objectness times exp(score). A hard maximum trains only
    the region that wins now, so an object that images without the word also show can keep the
    word for good; the soft one trains every likely region, and the objectness, from an RPN
    trained on whole base objects, ranks whole objects above their parts. Binary cross-entropy
    with named and unnamed words averaged apart, so the few named words weigh as much as the many
    others.
    ``region_embeddings``: per image ``[R_i, D]``; ``objectness``: per image ``[R_i]`` in [0, 1];
    ``named``: per image the named rows of ``vocabulary [V, D]``.
    """
    named_terms, unnamed_terms = [], []
    for regions, region_objectness, rows in zip(region_embeddings, objectness, named):
        if regions.shape[0] == 0:
            continue
        scores = embedding_scores(regions, vocabulary)[:, 1:]
        attention = F.softmax(scores + region_objectness.to(scores.dtype).clamp_min(_EPS).log()[:, None], dim=0)
        probability = (attention * torch.sigmoid(scores)).sum(dim=0)
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
