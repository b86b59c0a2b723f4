"""The training loop both trainers run: a minimal loop (as detectron2's) over an iterator of
batches, with AMP on CUDA, gradient clipping, optional weight averaging, a per-step loss log,
periodic checkpoints and a resumable state (step, optimizer, schedule, grad scaler, RNG, average)."""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import torch
from tqdm import tqdm

from trainers.engine.loss_log import LossLog
from xpm.io.jobs import Interrupted
from xpm.progress import Progress

# A batch -> its losses (summed and optimised), or (losses, statistics to log beside them).
LossFn = Callable[[object], "dict[str, torch.Tensor] | tuple[dict[str, torch.Tensor], dict[str, float]]"]
SaveFn = Callable[[int, dict], None]


class _StepLines:
    """tqdm's few calls the loop makes, as progress lines: a log file gets a line every few
    seconds instead of one bar redrawn with carriage returns into a single endless line."""

    def __init__(self, total: int, initial: int):
        self._progress, self._loss = Progress("train", "steps", total=total, initial=initial), None

    def set_postfix(self, loss: str) -> None:
        self._loss = loss

    def update(self, count: int) -> None:
        self._progress.update(count, loss=self._loss)

    def close(self) -> None:
        pass


def _progress(total: int, initial: int, *, shown: bool):
    """A bar on a terminal, lines elsewhere (a log file, a batch job's output), nothing when not shown."""
    if shown and not sys.stderr.isatty():
        return _StepLines(total, initial)
    return tqdm(total=total, initial=initial, unit="step", desc="train", disable=not shown)


@dataclass
class TrainLoop:
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    device: torch.device
    max_steps: int
    log: LossLog | None
    save: SaveFn
    checkpoint_every: int
    amp: bool = True
    grad_clip: float = 0.0
    log_every: int = 1
    progress: bool = True
    # Rank 0 logs and checkpoints; the others only train.
    is_main: bool = True
    # An exponential moving average of the weights (OptimConfig.ema_decay), updated after every
    # step and loaded into the model when the last step is done: the weights the run saves.
    average: torch.optim.swa_utils.AveragedModel | None = None
    _saved_rng: dict | None = field(default=None, init=False, repr=False)
    _saved_step: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        cuda = self.device.type == "cuda" and self.amp
        self.amp_dtype = (torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16) if cuda else None
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)

    @property
    def _trained(self) -> torch.nn.Module:
        """The model inside its DDP wrapper, if any."""
        wrapped = isinstance(self.model, torch.nn.parallel.DistributedDataParallel)
        return self.model.module if wrapped else self.model

    def _autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type="cuda", dtype=self.amp_dtype)

    def state(self, step: int) -> dict:
        """Everything besides the weights that a resumed run needs to continue identically."""
        state = {
            "step": step,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "rng_cpu": torch.get_rng_state(),
        }
        if torch.cuda.is_available():
            state["rng_cuda"] = torch.cuda.get_rng_state_all()
        if self.average is not None:
            state["weight_average"] = self.average.state_dict()
        return state

    def restore(self, state: dict) -> int:
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        if self.average is not None:
            self.average.load_state_dict(state["weight_average"])
        self._saved_rng = state
        self._saved_step = int(state["step"])
        return self._saved_step

    def _restore_rng(self) -> None:
        # Applied after the batch iterator exists: creating a DataLoader iterator draws from the
        # global RNG, and an uninterrupted run drew that before its first step too.
        state = self._saved_rng
        if state is None:
            return
        torch.set_rng_state(state["rng_cpu"])
        if "rng_cuda" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng_cuda"])
        self._saved_rng = None

    def run(self, batches: Iterable, compute_losses: LossFn, start_step: int = 0) -> int:
        """Steps ``start_step .. max_steps - 1``; returns the step reached."""
        self.model.train()
        step = start_step
        bar = _progress(self.max_steps, start_step, shown=self.progress and self.is_main)
        batches = iter(batches)
        self._restore_rng()
        try:
            step = self._steps(batches, compute_losses, step, bar)
        except KeyboardInterrupt:
            if not self._saved_step:
                raise
            raise Interrupted(f"the checkpoint of step {self._saved_step} of {self.max_steps}") from None
        if self.average is not None:
            # After the last checkpoint, which keeps the raw weights and the average apart.
            self._trained.load_state_dict(self.average.module.state_dict())
        return step

    def _steps(self, batches, compute_losses: LossFn, step: int, bar) -> int:
        while step < self.max_steps:
            started = time.perf_counter()
            batch = next(batches)
            with self._autocast():
                losses = compute_losses(batch)
            losses, stats = losses if isinstance(losses, tuple) else (losses, {})
            total = sum(losses.values())
            if not torch.isfinite(total):
                values = ", ".join(f"{k}={v.item():.4g}" for k, v in losses.items())
                raise FloatingPointError(
                    f"loss is not finite at step {step} ({values}); lower optim.lr, raise optim.warmup_steps "
                    "or set optim.grad_clip."
                )
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(total).backward()
            if self.grad_clip > 0:
                self.scaler.unscale_(self.optimizer)
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
            self.scaler.step(self.optimizer)
            self.scaler.update()
            lr = self.optimizer.param_groups[0]["lr"]
            self.scheduler.step()
            if self.average is not None:
                self.average.update_parameters(self._trained)
            step += 1
            if self.is_main and (step % self.log_every == 0 or step == self.max_steps):
                values = {k: float(v.detach()) for k, v in losses.items()}
                self.log.write(step, {"lr": lr, "total": sum(values.values()), **values, **stats,
                                      "seconds": time.perf_counter() - started})
            bar.set_postfix(loss=f"{float(total.detach()):.3f}")
            bar.update(1)
            if self.is_main and (step % self.checkpoint_every == 0 or step == self.max_steps):
                self.save(step, self.state(step))
                self._saved_step = step
        bar.close()
        if self.log is not None:
            self.log.close()
        return step
