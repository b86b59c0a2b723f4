import dataclasses
import logging

import pytest
import torch
from torchvision import models
from torchvision.ops import FrozenBatchNorm2d

from xpm.modeling.backbone import backbone_weights_file, build_training_backbone


def test_weights_from_a_local_file_are_loaded_and_frozen(tiny_model_config, tmp_path):
    torch.manual_seed(1)
    path = tmp_path / "resnet18.pth"
    torch.save(models.resnet18(weights=None).state_dict(), path)
    config = dataclasses.replace(tiny_model_config, backbone_weights=str(path))
    backbone, pretrained = build_training_backbone(config)
    assert pretrained
    expected = torch.load(path, weights_only=True)["layer2.0.conv1.weight"]
    torch.testing.assert_close(backbone.body.layer2[0].conv1.weight, expected)
    assert isinstance(backbone.body.bn1, FrozenBatchNorm2d)
    assert not backbone.body.conv1.weight.requires_grad and backbone.body.layer2[0].conv1.weight.requires_grad


def test_missing_weights_file_is_an_error_naming_it(tiny_model_config, tmp_path):
    config = dataclasses.replace(tiny_model_config, backbone_weights=str(tmp_path / "absent.pth"))
    with pytest.raises(FileNotFoundError, match="absent.pth"):
        build_training_backbone(config)


def test_auto_without_a_cached_file_trains_from_scratch_and_says_so(tiny_model_config, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    config = dataclasses.replace(tiny_model_config, backbone_weights="auto")
    assert backbone_weights_file(config) is None
    with caplog.at_level(logging.WARNING):
        backbone, pretrained = build_training_backbone(config)
    assert not pretrained and "from scratch" in caplog.text
    assert isinstance(backbone.body.bn1, torch.nn.BatchNorm2d)
