"""What a run's folder must have room for, before its first step."""

import torch

from trainers.engine.config import OptimConfig
from trainers.engine.training_run import LOG_BYTES_PER_STEP, needed_bytes


def test_the_room_needed_is_two_checkpoints_with_the_optimizer_state_and_the_logs():
    model = torch.nn.Sequential(torch.nn.Linear(10, 10), torch.nn.BatchNorm1d(10))  # 110 + 20 parameters, 21 buffer values
    model[1].weight.requires_grad_(False)
    weights = (110 + 20) * 4 + 20 * 4 + 8  # float parameters and running statistics, the int64 batch count
    trainable = (110 + 10) * 4
    logs = LOG_BYTES_PER_STEP * (100 // 10 + 1)
    assert needed_bytes(model, OptimConfig(optimizer="adamw"), steps=100, log_every=10) == 2 * (weights + 2 * trainable) + logs
    assert needed_bytes(model, OptimConfig(optimizer="sgd", momentum=0.9), steps=100, log_every=10) == 2 * (weights + trainable) + logs
    assert needed_bytes(model, OptimConfig(optimizer="sgd", momentum=0.0), steps=100, log_every=10) == 2 * weights + logs
