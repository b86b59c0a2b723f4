"""Cross-modal alignment (paper 3.2.2): each caption noun picks the teacher's region that best
matches its word embedding, and that region's mask is binarized into the pseudo mask."""

from __future__ import annotations

import torch


# How a noun picks its region: "eq2", the paper's argmax of the score; "eq2+objectness", the
# argmax of score + log objectness, the region the teacher's caption grounding attends to
# (xpm/modeling/grounding.py), which ranks whole objects above their parts.
ALIGNMENTS = ("eq2", "eq2+objectness")


def align_nouns(region_embeddings: torch.Tensor, noun_embeddings: torch.Tensor,
                objectness: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Eq. 2: b_o = argmax_r v_o^T h_Emb(f_r) over all the image's regions, for every noun o.

    ``region_embeddings [R, D]``, ``noun_embeddings [K, D]`` -> the chosen region index ``[K]``
    and its score v_o^T h_Emb(f_{b_o}) ``[K]``. Nouns are independent: two nouns may pick the
    same region, as the paper's argmax allows. With the regions' ``objectness [R]`` in (0, 1]
    the choice is the argmax of score + log objectness ("eq2+objectness"); the score returned
    is still Eq. 2's.
    """
    if region_embeddings.shape[0] == 0:
        raise ValueError("no regions to align to: the image produced no proposals.")
    scores = noun_embeddings.to(region_embeddings.dtype) @ region_embeddings.T
    ranked = scores if objectness is None else scores + objectness.to(scores.dtype).clamp_min(1e-6).log()[None]
    index = ranked.argmax(dim=1)
    return index, scores.gather(1, index[:, None])[:, 0]


def binarize_mask(mask_logits: torch.Tensor) -> torch.Tensor:
    """Eq. 4: M_o = 1[h_Mask(f_{b_o}) >= 0] (a logit of 0 is probability 0.5)."""
    return mask_logits >= 0
