"""Optimizer, schedule and loop settings shared by both trainers."""

from __future__ import annotations

from dataclasses import dataclass

OPTIMIZERS = ("adamw", "sgd")
SCHEDULES = ("cosine", "step", "constant")


@dataclass(frozen=True)
class OptimConfig:
    optimizer: str = "sgd"
    lr: float = 0.02
    momentum: float = 0.9
    weight_decay: float = 1e-4
    # Linear warm-up from warmup_factor * lr over warmup_steps.
    warmup_steps: int = 500
    warmup_factor: float = 0.001
    schedule: str = "step"
    # For the step schedule: the lr is multiplied by 0.1 at each of these steps.
    decay_steps: tuple[int, ...] = (60000, 80000)
    max_steps: int = 90000
    batch_size: int = 8
    # Global gradient-norm clip (0 turns it off): a from-scratch detector's first steps spike.
    grad_clip: float = 0.0
    # Weight averaging: the saved model is an exponential moving average of the weights with this
    # decay per step (0.99: about the last 100 steps), to make a short run depend less on where its
    # last batches left it; 0 saves the last weights.
    ema_decay: float = 0.0

    def __post_init__(self) -> None:
        checks = [
            (self.optimizer in OPTIMIZERS, f"optimizer={self.optimizer!r}: one of {', '.join(OPTIMIZERS)}."),
            (self.schedule in SCHEDULES, f"schedule={self.schedule!r}: one of {', '.join(SCHEDULES)}."),
            (self.lr > 0, f"lr={self.lr}: must be positive."),
            (self.max_steps >= 1, f"max_steps={self.max_steps}: at least 1."),
            (self.batch_size >= 1, f"batch_size={self.batch_size}: at least 1."),
            (0 <= self.warmup_steps, f"warmup_steps={self.warmup_steps}: cannot be negative."),
            (0 < self.warmup_factor <= 1, f"warmup_factor={self.warmup_factor}: in (0, 1]."),
            (self.grad_clip >= 0, f"grad_clip={self.grad_clip}: 0 (off) or positive."),
            (0 <= self.ema_decay < 1, f"ema_decay={self.ema_decay}: 0 (off) or in (0, 1), such as 0.99."),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"optim config: {message}")


@dataclass(frozen=True)
class EngineConfig:
    device: str = "auto"
    # Mixed precision on CUDA (bf16 where supported, else fp16 with a grad scaler); CPU runs fp32.
    amp: bool = True
    seed: int = 0
    num_workers: int = 2
    checkpoint_every: int = 1000
    log_every: int = 1

    def __post_init__(self) -> None:
        if self.num_workers < 0:
            raise ValueError(f"engine config: num_workers={self.num_workers}: cannot be negative.")
        if self.checkpoint_every < 1 or self.log_every < 1:
            raise ValueError("engine config: checkpoint_every and log_every are at least 1.")
