"""Train the teacher on base-class ground truth; resumable, with its config beside the weights."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from schemas.split import read_split
from trainers.data.batch_order import BatchOrder
from trainers.data.coco_instances import CocoInstances
from trainers.engine.batch import collate, to_device
from trainers.engine.distributed import init_distributed, wrap_for_training
from xpm.device import resolve_device
from trainers.engine.loss_log import LossLog
from trainers.engine.optim import build_optimizer, build_scheduler
from trainers.engine.run_dir import claim_run_dir
from trainers.engine.train_loop import TrainLoop
from trainers.teacher.config import TeacherConfig
from xpm.config import ConfigError, to_dict
from xpm.modeling.backbone import build_training_backbone
from xpm.modeling.checkpoint import (
    DetectorCheckpoint,
    TextModelIdentity,
    detector_from_checkpoint,
    read_checkpoint,
    save_checkpoint,
)
from xpm.modeling.detector import build_detector
from xpm.text import TextEmbedder

log = logging.getLogger(__name__)

CONFIG_NAME = "teacher_config.yaml"
MODEL_NAME = "model.pt"
LAST_NAME = "checkpoints/last.pt"
LOSS_LOG_NAME = "losses.csv"


@dataclass(frozen=True)
class TeacherRun:
    model_path: Path
    steps: int
    resumed_from: int
    reused: bool


def text_model_identity(embedder: TextEmbedder) -> TextModelIdentity:
    return TextModelIdentity(id=embedder.model_id, hash=embedder.model_hash, mode=embedder.mode, dim=embedder.dim)


def train_teacher(config: TeacherConfig, out: str | Path, *, progress: bool = True) -> TeacherRun:
    out = Path(out)
    final_path = out / MODEL_NAME
    claim_run_dir(out, config, CONFIG_NAME)
    if final_path.is_file():
        return TeacherRun(final_path, read_checkpoint(final_path).training["step"], 0, reused=True)

    info, device = init_distributed(resolve_device(config.engine.device))
    split = read_split(config.split)
    dataset = CocoInstances(config.train_gt, config.train_images, split.base)
    embedder = TextEmbedder(config.text_model, mode=config.text_mode)
    text_model = text_model_identity(embedder)
    embeddings = torch.from_numpy(embedder.embed(split.base))

    torch.manual_seed(config.engine.seed)
    last_path = out / LAST_NAME
    if last_path.is_file():
        last = read_checkpoint(last_path)
        if last.text_model.hash != text_model.hash:
            raise ConfigError(f"{last_path} was trained with text model {last.text_model.id} of another hash; pass a new --out.")
        model, pretrained = detector_from_checkpoint(last, device), last.pretrained_backbone
    else:
        last = None
        backbone, pretrained = build_training_backbone(config.model)
        model = build_detector(config.model, embedding_dim=text_model.dim, backbone=backbone).to(device)
        model.set_vocabulary(embeddings)

    def checkpoint(state: dict) -> DetectorCheckpoint:
        return DetectorCheckpoint(
            model_config=config.model,
            pretrained_backbone=pretrained,
            text_model=text_model,
            vocabulary=split.base,
            vocabulary_embeddings=embeddings,
            gt_classes=split.base,
            state_dict=model.state_dict(),
            training={**state, "config": to_dict(config)},
        )

    optimizer = build_optimizer(model, config.optim)
    trained = wrap_for_training(model, info, device)
    loop = TrainLoop(
        model=trained,
        is_main=info.is_main,
        optimizer=optimizer,
        scheduler=build_scheduler(optimizer, config.optim),
        device=device,
        max_steps=config.optim.max_steps,
        log=LossLog(out / LOSS_LOG_NAME, resume_from_step=last.training["step"] if last else 0) if info.is_main else None,
        save=lambda step, state: save_checkpoint(last_path, checkpoint(state)),
        checkpoint_every=config.engine.checkpoint_every,
        amp=config.engine.amp,
        grad_clip=config.optim.grad_clip,
        log_every=config.engine.log_every,
        progress=progress,
    )
    start = loop.restore(last.training) if last else 0
    if last:
        log.info("resuming %s from step %d", out, start)

    order = BatchOrder(len(dataset), config.optim.batch_size, seed=config.engine.seed, start=start,
                       stop=config.optim.max_steps, flip=config.hflip, rank=info.rank, world_size=info.world_size)
    loader = torch.utils.data.DataLoader(
        dataset, batch_sampler=order, num_workers=config.engine.num_workers, collate_fn=collate,
        pin_memory=device.type == "cuda",
    )
    steps = loop.run(loader, lambda batch: trained(*to_device(*batch, device)), start_step=start)
    if info.is_main:
        save_checkpoint(final_path, checkpoint({"step": steps, "config": to_dict(config)}))
    return TeacherRun(final_path, steps, start, reused=False)
