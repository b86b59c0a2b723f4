"""Detection batches: lists of image tensors and target dicts, moved to the training device."""

from __future__ import annotations

import torch


def collate(batch):
    images, targets = zip(*batch)
    return list(images), list(targets)


def to_device(images, targets, device: torch.device):
    images = [image.to(device, non_blocking=True) for image in images]
    targets = [{k: (v.to(device, non_blocking=True) if torch.is_tensor(v) else v) for k, v in t.items()} for t in targets]
    return images, targets
