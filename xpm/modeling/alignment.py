"""Cross-modal alignment (paper 3.2.2): each caption noun picks the teacher's region that best
matches its word embedding, and that region's mask is binarized into the pseudo mask."""

from __future__ import annotations

import torch


def align_nouns(region_embeddings: torch.Tensor, noun_embeddings: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Eq. 2: b_o = argmax_r v_o^T h_Emb(f_r) over all the image's regions, for every noun o.

    ``region_embeddings [R, D]``, ``noun_embeddings [K, D]`` -> the chosen region index ``[K]``
    and its score v_o^T h_Emb(f_{b_o}) ``[K]``. Nouns are independent: two nouns may pick the
    same region, as the paper's argmax allows.
    """
    if region_embeddings.shape[0] == 0:
        raise ValueError("no regions to align to: the image produced no proposals.")
    scores = noun_embeddings.to(region_embeddings.dtype) @ region_embeddings.T
    best, index = scores.max(dim=1)
    return index, best


def binarize_mask(mask_logits: torch.Tensor) -> torch.Tensor:
    """Eq. 4: M_o = 1[h_Mask(f_{b_o}) >= 0] (a logit of 0 is probability 0.5)."""
    return mask_logits >= 0
