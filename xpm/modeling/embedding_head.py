"""h_Emb: region features -> the word-embedding space, scored against any vocabulary (Eq. 1)."""

from __future__ import annotations

import torch
from torch import nn


def embedding_scores(region_embeddings: torch.Tensor, class_embeddings: torch.Tensor) -> torch.Tensor:
    """Eq. 1: the score of class o for region r is v_o^T h_Emb(f_r); column 0 is background.

    Background has the fixed zero embedding, so its score is 0 for every region: a region is
    background when no class scores above zero. ``region_embeddings`` is ``[R, D]``,
    ``class_embeddings`` ``[C, D]``; the result is ``[R, 1 + C]``.
    """
    if region_embeddings.shape[-1] != class_embeddings.shape[-1]:
        raise ValueError(
            f"region embeddings have dimension {region_embeddings.shape[-1]} but class embeddings "
            f"{class_embeddings.shape[-1]}: the vocabulary was embedded with another text model."
        )
    background = class_embeddings.new_zeros((1, class_embeddings.shape[-1]))
    vocabulary = torch.cat([background, class_embeddings.to(region_embeddings.dtype)], dim=0)
    return region_embeddings @ vocabulary.T


class EmbeddingBoxPredictor(nn.Module):
    """Replaces Mask R-CNN's class-specific box predictor.

    The classifier is a linear h_Emb into the text-embedding space, scored by
    :func:`embedding_scores` against whatever vocabulary is set; box regression is one
    class-agnostic set of deltas, so it serves classes never seen in training.
    """

    def __init__(self, in_channels: int, embedding_dim: int):
        super().__init__()
        self.embed = nn.Linear(in_channels, embedding_dim)
        self.bbox_pred = nn.Linear(in_channels, 4)
        self.register_buffer("class_embeddings", torch.zeros(0, embedding_dim), persistent=False)

    def set_vocabulary(self, class_embeddings: torch.Tensor) -> None:
        """Swap the classes scored; weights are untouched (a buffer, not a parameter)."""
        if class_embeddings.ndim != 2 or class_embeddings.shape[1] != self.embed.out_features:
            raise ValueError(
                f"class embeddings must be [classes, {self.embed.out_features}]; got {tuple(class_embeddings.shape)}."
            )
        self.class_embeddings = class_embeddings.detach().to(self.embed.weight.device, torch.float32)

    def regions(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """h_Emb(f_r) ``[R, D]`` and class-agnostic box deltas ``[R, 4]``, before any vocabulary."""
        features = features.flatten(start_dim=1)
        return self.embed(features), self.bbox_pred(features)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.class_embeddings.shape[0] == 0:
            raise RuntimeError("no vocabulary set: call set_vocabulary(class_embeddings) first.")
        region_embeddings, deltas = self.regions(features)
        return embedding_scores(region_embeddings, self.class_embeddings), deltas
