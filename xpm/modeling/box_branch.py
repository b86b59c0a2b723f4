"""The box branch: RoIAlign -> two-layer MLP -> h_Emb scores (Eq. 1) and class-agnostic deltas."""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models.detection.faster_rcnn import TwoMLPHead
from torchvision.ops import MultiScaleRoIAlign

from xpm.modeling.embedding_head import EmbeddingBoxPredictor

BOX_POOL_SIZE = 7


class BoxBranch(nn.Module):
    def __init__(self, *, feature_names: list[str], in_channels: int, sampling_ratio: int, representation_size: int, embedding_dim: int):
        super().__init__()
        self.pool = MultiScaleRoIAlign(feature_names, BOX_POOL_SIZE, sampling_ratio=sampling_ratio)
        self.head = TwoMLPHead(in_channels * BOX_POOL_SIZE**2, representation_size)
        self.predictor = EmbeddingBoxPredictor(representation_size, embedding_dim)

    def forward(self, features: dict[str, torch.Tensor], boxes: list[torch.Tensor], image_shapes) -> tuple[torch.Tensor, torch.Tensor]:
        """h_Emb(f_r) ``[R, D]`` and box deltas ``[R, 4]`` for the boxes of every image, concatenated."""
        return self.predictor.regions(self.head(self.pool(features, boxes, image_shapes)))
