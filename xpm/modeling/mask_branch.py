"""h_Mask: the class-agnostic mask branch (one mask channel serves every class, seen or not)."""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads
from torchvision.ops import MultiScaleRoIAlign

MASK_POOL_SIZE = 14
MASK_SIZE = 2 * MASK_POOL_SIZE


class MaskBranch(nn.Module):
    """``features`` gives the per-region mask features ``[R, C, 28, 28]`` that the mask logits
    and, in the student, the noise head g_Noise read; ``logits`` turns them into ``[R, 28, 28]``."""

    def __init__(self, *, feature_names: list[str], in_channels: int, sampling_ratio: int, layers: int):
        super().__init__()
        self.pool = MultiScaleRoIAlign(feature_names, MASK_POOL_SIZE, sampling_ratio=sampling_ratio)
        self.head = MaskRCNNHeads(in_channels, [in_channels] * layers, dilation=1)
        self.upsample = nn.ConvTranspose2d(in_channels, in_channels, 2, stride=2)
        self.to_logits = nn.Conv2d(in_channels, 1, 1)
        self.out_channels = in_channels
        for layer in (self.upsample, self.to_logits):
            nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(layer.bias)

    def features(self, features: dict[str, torch.Tensor], boxes: list[torch.Tensor], image_shapes) -> torch.Tensor:
        return torch.relu(self.upsample(self.head(self.pool(features, boxes, image_shapes))))

    def logits(self, mask_features: torch.Tensor) -> torch.Tensor:
        return self.to_logits(mask_features)[:, 0]

    def forward(self, features: dict[str, torch.Tensor], boxes: list[torch.Tensor], image_shapes) -> torch.Tensor:
        return self.logits(self.features(features, boxes, image_shapes))
