"""Optimizer and learning-rate schedule from an :class:`OptimConfig`."""

from __future__ import annotations

import math

import torch

from trainers.engine.config import OptimConfig

# Normalisation layers and biases take no weight decay (as detectron2 does).
_NO_DECAY_TYPES = (torch.nn.BatchNorm2d, torch.nn.GroupNorm, torch.nn.LayerNorm)


def build_optimizer(model: torch.nn.Module, config: OptimConfig) -> torch.optim.Optimizer:
    decay, no_decay = [], []
    for module in model.modules():
        for name, parameter in module.named_parameters(recurse=False):
            if not parameter.requires_grad:
                continue
            (no_decay if name == "bias" or isinstance(module, _NO_DECAY_TYPES) else decay).append(parameter)
    groups = [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if config.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=config.lr)
    return torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum)


def lr_factor(step: int, config: OptimConfig) -> float:
    """The multiplier of the base lr at ``step``: linear warm-up, then the schedule."""
    if step < config.warmup_steps:
        alpha = step / config.warmup_steps
        return config.warmup_factor * (1 - alpha) + alpha
    if config.schedule == "cosine":
        progress = (step - config.warmup_steps) / max(config.max_steps - config.warmup_steps, 1)
        return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
    if config.schedule == "step":
        return 0.1 ** sum(step >= s for s in config.decay_steps)
    return 1.0


def build_scheduler(optimizer: torch.optim.Optimizer, config: OptimConfig) -> torch.optim.lr_scheduler.LambdaLR:
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, config))
