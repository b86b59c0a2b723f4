"""Train the robust student: L_GT on base images + L_M and L_X^alpha on a dataset version's
captioned images, every step one batch of each; resumable, config saved beside the weights."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from schemas.split import read_split
from trainers.data.batch_order import BatchOrder
from trainers.data.coco_instances import CocoInstances
from trainers.data.pseudo_label_shards import open_version_data, pseudo_label_stream
from trainers.engine.batch import collate, to_device
from trainers.engine.distributed import gather_counts, init_distributed, wrap_for_training
from trainers.engine.loss_log import LossLog
from trainers.engine.optim import build_optimizer, build_scheduler
from trainers.engine.run_dir import claim_run_dir
from trainers.engine.train_loop import TrainLoop
from trainers.student.config import StudentConfig
from xpm.config import ConfigError, to_dict
from xpm.device import resolve_device
from xpm.io.atomic import write_text_atomically
from xpm.modeling.checkpoint import DetectorCheckpoint, detector_from_checkpoint, read_checkpoint, save_checkpoint
from xpm.modeling.student import CaptionLossSettings, RobustStudent

log = logging.getLogger(__name__)

CONFIG_NAME = "student_config.yaml"
MODEL_NAME = "model.pt"
LAST_NAME = "checkpoints/last.pt"
LOSS_LOG_NAME = "losses.csv"
DISTRIBUTED_NAME = "distributed.json"


@dataclass(frozen=True)
class StudentRun:
    model_path: Path
    steps: int
    resumed_from: int
    reused: bool


def caption_settings(config: StudentConfig) -> CaptionLossSettings:
    return CaptionLossSettings(
        mask_loss="+m" in config.losses,
        reliability=config.reliability if config.losses.endswith("+alpha") else "none",
        eta=config.eta, alpha_cap=config.alpha_cap, mask_samples=config.mask_samples,
    )


def train_student(config: StudentConfig, out: str | Path, *, progress: bool = True) -> StudentRun:
    out = Path(out)
    final_path = out / MODEL_NAME
    claim_run_dir(out, config, CONFIG_NAME)
    if final_path.is_file():
        return StudentRun(final_path, read_checkpoint(final_path).training["step"], 0, reused=True)

    info, device = init_distributed(resolve_device(config.engine.device))
    split = read_split(config.split)
    teacher = read_checkpoint(config.init)
    data = open_version_data(config.data)
    if data.vocabulary.text_model["hash"] != teacher.text_model.hash:
        raise ConfigError(
            f"{config.data} was embedded with text model {data.vocabulary.text_model['id']} "
            f"({data.vocabulary.text_model['hash'][:12]}), the teacher {config.init} with {teacher.text_model.id} "
            f"({teacher.text_model.hash[:12]}); pseudo-label with this teacher."
        )
    if set(teacher.gt_classes) != set(split.base):
        raise ConfigError(f"{config.init} was trained on other base classes than {config.split} names.")
    base = CocoInstances(config.base_gt, config.base_images, split.base)

    last_path = out / LAST_NAME
    last = read_checkpoint(last_path) if last_path.is_file() else None
    torch.manual_seed(config.engine.seed)
    detector = detector_from_checkpoint(last or teacher, device)
    detector.set_vocabulary(teacher.vocabulary_embeddings.to(device))
    student = RobustStudent(detector).to(device)
    if last is not None:
        student.noise_head.load_state_dict(last.training["noise_head"])
    vocabulary = data.vocabulary.embeddings.to(device)
    settings = caption_settings(config)

    def checkpoint(state: dict) -> DetectorCheckpoint:
        return DetectorCheckpoint(
            model_config=teacher.model_config,
            pretrained_backbone=teacher.pretrained_backbone,
            text_model=teacher.text_model,
            vocabulary=teacher.vocabulary,
            vocabulary_embeddings=teacher.vocabulary_embeddings,
            gt_classes=teacher.gt_classes,
            state_dict=detector.state_dict(),
            training={**state, "config": to_dict(config), "noise_head": student.noise_head.state_dict(),
                      "caption_vocabulary": list(data.vocabulary.words)},
        )

    optimizer = build_optimizer(student, config.optim)
    trained = wrap_for_training(student, info, device)
    loop = TrainLoop(
        model=trained, optimizer=optimizer, scheduler=build_scheduler(optimizer, config.optim), device=device,
        max_steps=config.optim.max_steps, is_main=info.is_main,
        log=LossLog(out / LOSS_LOG_NAME, resume_from_step=last.training["step"] if last else 0) if info.is_main else None,
        save=lambda step, state: save_checkpoint(last_path, checkpoint(state)),
        checkpoint_every=config.engine.checkpoint_every, amp=config.engine.amp, grad_clip=config.optim.grad_clip,
        log_every=config.engine.log_every, progress=progress,
    )
    start = loop.restore(last.training) if last else 0
    base_loader = torch.utils.data.DataLoader(
        base, batch_sampler=BatchOrder(len(base), config.optim.batch_size, seed=config.engine.seed, start=start,
                                       stop=config.optim.max_steps, flip=config.hflip,
                                       rank=info.rank, world_size=info.world_size),
        num_workers=config.engine.num_workers, collate_fn=collate,
    )
    # The caption stream is resampled at random: a resumed run re-seeds it by its start step, so
    # it continues with fresh samples (not the very samples an uninterrupted run would have drawn).
    stream = pseudo_label_stream(data, seed=config.engine.seed + start, shuffle_buffer=config.shuffle_buffer,
                                 epoch_samples=(config.optim.max_steps - start) * config.caption_batch_size)
    caption_loader = torch.utils.data.DataLoader(
        stream.batched(config.caption_batch_size, collation_fn=collate), batch_size=None,
        num_workers=config.engine.num_workers,
    )

    def compute_losses(batch):
        (base_images, base_targets), (caption_images, caption_targets) = batch
        return trained(to_device(base_images, base_targets, device), to_device(caption_images, caption_targets, device),
                       vocabulary, settings)

    steps = loop.run(zip(base_loader, caption_loader), compute_losses, start_step=start)
    counts = gather_counts(steps - start, info)
    if info.is_main:
        save_checkpoint(final_path, checkpoint({"step": steps}))
        write_text_atomically(out / DISTRIBUTED_NAME, json.dumps({"world_size": info.world_size, "batches_per_rank": counts}) + "\n")
    if len(set(counts)) != 1:
        raise RuntimeError(f"ranks saw different numbers of batches: {counts}")
    return StudentRun(final_path, steps, start, reused=False)
