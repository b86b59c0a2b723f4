"""One process per device under ``torchrun`` (DDP: NCCL on CUDA, gloo on CPU); a plain single
process otherwise. Only rank 0 writes logs and checkpoints."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Distributed:
    rank: int = 0
    world_size: int = 1

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_distributed(device: torch.device) -> tuple[Distributed, torch.device]:
    """Joins the process group torchrun describes (RANK, WORLD_SIZE, LOCAL_RANK); on CUDA each
    process takes the GPU of its local rank."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Distributed(), device
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    return Distributed(rank=dist.get_rank(), world_size=dist.get_world_size()), device


def gather_counts(value: int, info: Distributed) -> list[int]:
    """Every rank's ``value`` (e.g. batches seen), in rank order."""
    if not info.enabled:
        return [value]
    values = [None] * info.world_size
    dist.all_gather_object(values, value)
    return values


def wrap_for_training(model: torch.nn.Module, info: Distributed, device: torch.device) -> torch.nn.Module:
    """DDP around ``model`` when distributed. Unused parameters are searched for: a step may
    leave some out (the noise head under gt+x, the mask head on images without positives)."""
    if not info.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None,
                                   find_unused_parameters=True)
