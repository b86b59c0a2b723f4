"""Train the robust student: L_GT on base images + L_M and L_X^alpha on a dataset version's
captioned images, every step one batch of each; resumable, config saved beside the weights."""

from __future__ import annotations

from pathlib import Path

import torch

from schemas.split import read_split
from trainers.data.coco_instances import CocoInstances
from trainers.data.label_controls import shuffled_nouns, truth_labels
from trainers.data.pseudo_label_shards import open_version_data, pseudo_label_stream
from trainers.engine.batch import to_device
from trainers.engine.distributed import init_distributed
from trainers.engine.training_run import (
    TrainingRun,
    finish_run,
    ground_truth_loader,
    open_run,
    start_loop,
)
from trainers.student.config import StudentConfig
from xpm.config import ConfigError, to_dict
from xpm.device import resolve_device
from xpm.modeling.checkpoint import DetectorCheckpoint, detector_from_checkpoint, read_checkpoint, require_base_classes
from xpm.modeling.student import RobustStudent, novel_rows

CONFIG_NAME = "student_config.yaml"


def base_instances(config: StudentConfig, teacher: DetectorCheckpoint) -> CocoInstances:
    """The base images with labels that index the teacher's classifier rows: the split file only
    says which classes are base, and may list them in any order."""
    require_base_classes(teacher, read_split(config.split).base, config.init, config.split)
    return CocoInstances(config.base_gt, config.base_images, teacher.gt_classes)


def label_control(config: StudentConfig, data):
    """None for the version's own labels, else the control's relabelling of each sample."""
    if config.labels == "shuffled":
        # One permutation for the whole run, resumed or not: seeded by the run's seed alone.
        return shuffled_nouns(data, seed=config.engine.seed)
    if config.labels == "truth":
        return truth_labels(data, config.truth_gt, read_split(config.split))
    return None


def train_student(config: StudentConfig, out: str | Path, *, progress: bool = True) -> TrainingRun:
    out = Path(out)
    finished, last = open_run(out, config, CONFIG_NAME)
    if finished:
        return finished

    info, device = init_distributed(resolve_device(config.engine.device))
    teacher = read_checkpoint(config.init)
    data = open_version_data(config.data)
    if data.vocabulary.text_model["hash"] != teacher.text_model.hash:
        raise ConfigError(
            f"{config.data} was embedded with text model {data.vocabulary.text_model['id']} "
            f"({data.vocabulary.text_model['hash'][:12]}), the teacher {config.init} with {teacher.text_model.id} "
            f"({teacher.text_model.hash[:12]}); pseudo-label with this teacher."
        )
    base = base_instances(config, teacher)

    torch.manual_seed(config.engine.seed)
    detector = detector_from_checkpoint(last or teacher, device)
    detector.set_vocabulary(teacher.vocabulary_embeddings.to(device))
    student = RobustStudent(detector).to(device)
    if last is not None:
        student.noise_head.load_state_dict(last.training["noise_head"])
        if "weight_means" in last.training:  # absent from checkpoints written before they were kept
            student.weight_means.load_state_dict(last.training["weight_means"])
    vocabulary = data.vocabulary.embeddings.to(device)
    novel = novel_rows(data.vocabulary.words, teacher.gt_classes).to(device)
    settings = config.caption_settings()

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
                      "weight_means": student.weight_means.state_dict(), "caption_vocabulary": list(data.vocabulary.words)},
        )

    loop, start = start_loop(student, out=out, optim=config.optim, engine=config.engine, info=info, device=device,
                             last=last, make_checkpoint=checkpoint, progress=progress)
    base_loader = ground_truth_loader(base, optim=config.optim, engine=config.engine, hflip=config.hflip, start=start,
                                      info=info, device=device)
    # The caption stream is resampled at random: a resumed run re-seeds it by its start step, so
    # it continues with fresh samples (not the very samples an uninterrupted run would have drawn).
    stream = pseudo_label_stream(data, seed=config.engine.seed + start, shuffle_buffer=config.shuffle_buffer,
                                 epoch=config.optim.max_steps - start, batch_size=config.caption_batch_size,
                                 relabel=label_control(config, data))
    caption_loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=config.engine.num_workers)

    def compute_losses(batch):
        (base_images, base_targets), (caption_images, caption_targets) = batch
        return loop.model(to_device(base_images, base_targets, device), to_device(caption_images, caption_targets, device),
                          vocabulary, settings, novel)

    steps = loop.run(zip(base_loader, caption_loader), compute_losses, start_step=start)
    return finish_run(out, steps, start, info, checkpoint)
