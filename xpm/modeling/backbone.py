"""ResNet + FPN backbones, pretrained only from files already on disk (never a download)."""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from torch import nn
from torchvision import models
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.ops import FrozenBatchNorm2d
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

from xpm.modeling.config import ModelConfig

log = logging.getLogger(__name__)

_WEIGHTS = {
    "resnet18": models.ResNet18_Weights.IMAGENET1K_V1,
    "resnet34": models.ResNet34_Weights.IMAGENET1K_V1,
    "resnet50": models.ResNet50_Weights.IMAGENET1K_V1,
}
# Pretrained stems keep their ImageNet filters, as torchvision's detection models do.
_FROZEN_WHEN_PRETRAINED = ("conv1", "bn1", "layer1")


def _cached_weights_file(backbone: str) -> Path | None:
    path = Path(torch.hub.get_dir()) / "checkpoints" / Path(_WEIGHTS[backbone].url).name
    return path if path.is_file() else None


def backbone_weights_file(config: ModelConfig) -> Path | None:
    """The state-dict file the backbone starts from, or None for from scratch."""
    if config.backbone_weights == "none":
        return None
    if config.backbone_weights == "auto":
        return _cached_weights_file(config.backbone)
    path = Path(config.backbone_weights)
    if not path.is_file():
        raise FileNotFoundError(
            f"backbone_weights {path} does not exist; give a torchvision {config.backbone} state-dict file, "
            "'auto' (torchvision's cache when present) or 'none' (from scratch)."
        )
    return path


def build_backbone(config: ModelConfig, *, pretrained_from: Path | None, pretrained: bool) -> BackboneWithFPN:
    """``pretrained`` fixes the architecture (frozen BN and stem); ``pretrained_from`` loads
    ImageNet weights (None when a checkpoint will supply every weight)."""
    # ImageNet statistics only mean something for pretrained weights: frozen BN keeps them and
    # lets small batches train; from scratch, BN must learn its statistics.
    norm_layer = FrozenBatchNorm2d if pretrained else nn.BatchNorm2d
    resnet = getattr(models, config.backbone)(weights=None, norm_layer=norm_layer)
    if pretrained_from is not None:
        resnet.load_state_dict(torch.load(pretrained_from, map_location="cpu", weights_only=True))
    if pretrained:
        for name, parameter in resnet.named_parameters():
            if name.startswith(_FROZEN_WHEN_PRETRAINED):
                parameter.requires_grad_(False)
    stages = list(range(5 - config.fpn_levels, 5))
    stage2_channels = resnet.inplanes // 8
    return BackboneWithFPN(
        resnet,
        return_layers={f"layer{stage}": str(i) for i, stage in enumerate(stages)},
        in_channels_list=[stage2_channels * 2 ** (stage - 1) for stage in stages],
        out_channels=config.fpn_channels,
        extra_blocks=LastLevelMaxPool(),
    )


def build_training_backbone(config: ModelConfig) -> tuple[BackboneWithFPN, bool]:
    """The backbone a new training run starts from, and whether it is ImageNet-pretrained."""
    weights_file = backbone_weights_file(config)
    if weights_file is None:
        log.warning("backbone %s starts from scratch (backbone_weights=%s)", config.backbone, config.backbone_weights)
    else:
        log.info("backbone %s starts from ImageNet weights %s", config.backbone, weights_file)
    return build_backbone(config, pretrained_from=weights_file, pretrained=weights_file is not None), weights_file is not None
