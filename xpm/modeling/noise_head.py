"""g_Noise (paper 3.2.3): a per-pixel noise variance for a pseudo mask, from the student's mask
features of the aligned region."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# A floor keeps Eq. 7's division finite and Eq. 6's noise well defined.
MIN_VARIANCE = 1e-4


class NoiseHead(nn.Module):
    """``[R, C, M, M]`` mask features -> ``[R, M, M]`` variances (softplus, at least MIN_VARIANCE)."""

    def __init__(self, in_channels: int, hidden_channels: int = 64):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, hidden_channels, 3, padding=1)
        self.to_variance = nn.Conv2d(hidden_channels, 1, 1)
        nn.init.kaiming_normal_(self.conv.weight, mode="fan_out", nonlinearity="relu")
        nn.init.zeros_(self.conv.bias)
        # Starts small and flat: the student first trusts its pseudo masks, then learns where not to.
        nn.init.normal_(self.to_variance.weight, std=1e-3)
        nn.init.constant_(self.to_variance.bias, -3.0)

    def forward(self, mask_features: torch.Tensor) -> torch.Tensor:
        return F.softplus(self.to_variance(torch.relu(self.conv(mask_features))))[:, 0] + MIN_VARIANCE
