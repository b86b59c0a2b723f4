"""What every training run does around its model: its folder (config check, reuse of a finished
run, the last checkpoint to resume), the loop with its log and checkpoints, the base-GT loader,
and the end (final checkpoint, batches per rank). The teacher and student trainers differ only
in their model and losses."""

from __future__ import annotations

import json
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import torch

from trainers.data.batch_order import BatchOrder
from trainers.engine.batch import collate
from trainers.engine.config import EngineConfig, OptimConfig
from trainers.engine.distributed import Distributed, gather_counts, wrap_for_training
from trainers.engine.loss_log import LossLog
from trainers.engine.optim import build_optimizer, build_scheduler
from trainers.engine.run_dir import claim_run_dir
from trainers.engine.train_loop import TrainLoop
from xpm.io.atomic import write_text_atomically
from xpm.io.jobs import check_writable
from xpm.modeling.checkpoint import DetectorCheckpoint, read_checkpoint, save_checkpoint

MODEL_NAME = "model.pt"
LAST_NAME = "checkpoints/last.pt"
LOSS_LOG_NAME = "losses.csv"
DISTRIBUTED_NAME = "distributed.json"

MakeCheckpoint = Callable[[dict], DetectorCheckpoint]

# A logged step's row of losses.csv and TensorBoard events, about ten values: a generous bound.
LOG_BYTES_PER_STEP = 1000


@dataclass(frozen=True)
class TrainingRun:
    model_path: Path
    steps: int
    resumed_from: int
    reused: bool


@contextmanager
def removed_unless_started(out: Path) -> Iterator[None]:
    """A run folder this start creates goes again if the start fails before its first checkpoint
    (a wrong path found while loading, say): a folder holding a config alone is no run."""
    created = not out.exists()
    try:
        yield
    except BaseException:
        if created and not (out / LAST_NAME).is_file() and not (out / MODEL_NAME).is_file():
            shutil.rmtree(out, ignore_errors=True)
        raise


def open_run(out: Path, config, config_name: str) -> tuple[TrainingRun | None, DetectorCheckpoint | None]:
    """Claims ``out`` for ``config``; returns the finished run if there is one, else the last
    checkpoint to resume from (None for a fresh start)."""
    final_path, last_path = out / MODEL_NAME, out / LAST_NAME
    claim_run_dir(out, config, config_name, started=final_path.is_file() or last_path.is_file())
    if final_path.is_file():
        return TrainingRun(final_path, read_checkpoint(final_path).training["step"], 0, reused=True), None
    return None, (read_checkpoint(last_path) if last_path.is_file() else None)


def needed_bytes(model: torch.nn.Module, optim: OptimConfig, *, steps: int, log_every: int) -> int:
    """About what a run writes in ``steps`` more steps: a checkpoint (the weights, and the optimizer's
    state for each trainable parameter) twice, as the new one is written before it replaces the
    last (and model.pt beside the last), and the logs."""
    weights = sum(t.numel() * t.element_size() for t in model.state_dict().values())
    trainable = sum(p.numel() * p.element_size() for p in model.parameters() if p.requires_grad)
    # AdamW keeps two moments per parameter; SGD a momentum buffer, when it has momentum.
    moments = 2 if optim.optimizer == "adamw" else int(optim.momentum > 0)
    return 2 * (weights + moments * trainable) + LOG_BYTES_PER_STEP * (steps // log_every + 1)


def start_loop(
    model: torch.nn.Module, *, out: Path, optim: OptimConfig, engine: EngineConfig, info: Distributed,
    device: torch.device, last: DetectorCheckpoint | None, make_checkpoint: MakeCheckpoint, progress: bool,
) -> tuple[TrainLoop, int]:
    """The loop over ``model`` (DDP-wrapped when distributed), restored from ``last``, and the
    step it starts at, once ``out`` is found to have room for the run (:func:`needed_bytes`).
    Rank 0 alone logs and checkpoints."""
    start_step = last.training["step"] if last else 0
    if info.is_main:
        # Before the first step, not at a checkpoint hours into the run.
        check_writable(out, "--out", needs_bytes=needed_bytes(model, optim, steps=optim.max_steps - start_step,
                                                              log_every=engine.log_every))
    optimizer = build_optimizer(model, optim)
    loop = TrainLoop(
        model=wrap_for_training(model, info, device),
        optimizer=optimizer,
        scheduler=build_scheduler(optimizer, optim),
        device=device,
        max_steps=optim.max_steps,
        log=LossLog(out / LOSS_LOG_NAME, resume_from_step=start_step) if info.is_main else None,
        save=lambda step, state: save_checkpoint(out / LAST_NAME, make_checkpoint(state)),
        checkpoint_every=engine.checkpoint_every,
        amp=engine.amp,
        grad_clip=optim.grad_clip,
        log_every=engine.log_every,
        progress=progress,
        is_main=info.is_main,
        average=weight_average(model, optim.ema_decay),
    )
    return loop, (loop.restore(last.training) if last else 0)


def weight_average(model: torch.nn.Module, decay: float) -> torch.optim.swa_utils.AveragedModel | None:
    """The exponential moving average of ``model``'s weights and buffers, or None when ``decay`` is 0."""
    if decay == 0:
        return None
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


def ground_truth_loader(dataset, *, optim: OptimConfig, engine: EngineConfig, hflip: bool, start: int,
                        info: Distributed, device: torch.device) -> torch.utils.data.DataLoader:
    """Base-GT batches for steps ``start .. max_steps - 1``, in the resumable order, this rank's slice."""
    order = BatchOrder(len(dataset), optim.batch_size, seed=engine.seed, start=start, stop=optim.max_steps,
                       flip=hflip, rank=info.rank, world_size=info.world_size)
    return torch.utils.data.DataLoader(dataset, batch_sampler=order, num_workers=engine.num_workers,
                                       collate_fn=collate, pin_memory=device.type == "cuda")


def finish_run(out: Path, steps: int, start: int, info: Distributed, make_checkpoint: MakeCheckpoint) -> TrainingRun:
    """Writes ``model.pt`` and ``distributed.json`` (batches each rank saw) on rank 0; ranks that
    saw different numbers of batches are an error."""
    counts = gather_counts(steps - start, info)
    if info.is_main:
        save_checkpoint(out / MODEL_NAME, make_checkpoint({"step": steps}))
        write_text_atomically(out / DISTRIBUTED_NAME, json.dumps({"world_size": info.world_size, "batches_per_rank": counts}) + "\n")
    if len(set(counts)) != 1:
        raise RuntimeError(f"ranks saw different numbers of batches: {counts}")
    return TrainingRun(out / MODEL_NAME, steps, start, reused=False)
