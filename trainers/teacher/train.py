"""Train the teacher on base-class ground truth, grounded in captions when given captioned shards;
resumable, with its config beside the weights."""

from __future__ import annotations

import logging
from pathlib import Path

import torch

from xpm.text.word_embeddings import WordEmbeddings
from xpm.nouns.extract import NounExtractor
from xpm.nouns.lexicon import load_lexicon
from schemas.split import read_split
from trainers.data.caption_shards import GroundingVocabulary, caption_noun_stream
from trainers.data.coco_instances import CocoInstances
from trainers.engine.batch import to_device
from trainers.engine.distributed import init_distributed
from trainers.engine.training_run import (
    LAST_NAME,
    TrainingRun,
    finish_run,
    ground_truth_loader,
    open_run,
    start_loop,
)
from trainers.teacher.config import TeacherConfig
from xpm.config import ConfigError, to_dict
from xpm.device import resolve_device
from xpm.modeling.backbone import build_training_backbone
from xpm.modeling.checkpoint import DetectorCheckpoint, TextModelIdentity, detector_from_checkpoint, read_checkpoint
from xpm.modeling.detector import build_detector
from xpm.modeling.grounding import CaptionGroundedTeacher
from xpm.text.embedder import TextEmbedder

log = logging.getLogger(__name__)

CONFIG_NAME = "teacher_config.yaml"


def text_model_identity(embedder: TextEmbedder) -> TextModelIdentity:
    return TextModelIdentity(id=embedder.model_id, hash=embedder.model_hash, mode=embedder.mode, dim=embedder.dim)


def _initial_weights(config: TeacherConfig, text_model: TextModelIdentity, device):
    start = read_checkpoint(config.init)
    if start.model_config != config.model:
        raise ConfigError(f"init {config.init} has another model config than this run's; start from a checkpoint of the same architecture.")
    if start.text_model.hash != text_model.hash:
        raise ConfigError(f"init {config.init} was trained with text model {start.text_model.id} of another hash than {config.text_model}.")
    return detector_from_checkpoint(start, device), start.pretrained_backbone


def train_teacher(config: TeacherConfig, out: str | Path, *, progress: bool = True) -> TrainingRun:
    out = Path(out)
    finished, last = open_run(out, config, CONFIG_NAME)
    if finished:
        return finished

    info, device = init_distributed(resolve_device(config.engine.device))
    split = read_split(config.split)
    classes = split.base + split.target if config.oracle else split.base
    dataset = CocoInstances(config.train_gt, config.train_images, classes)
    embedder = TextEmbedder(config.text_model, mode=config.text_mode)
    text_model = text_model_identity(embedder)
    embeddings = torch.from_numpy(embedder.embed(classes))

    torch.manual_seed(config.engine.seed)
    if last is not None:
        if last.text_model.hash != text_model.hash:
            raise ConfigError(f"{out / LAST_NAME} was trained with text model {last.text_model.id} of another hash; pass a new --out.")
        model, pretrained = detector_from_checkpoint(last, device), last.pretrained_backbone
        log.info("resuming %s from step %d", out, last.training["step"])
    elif config.init:
        model, pretrained = _initial_weights(config, text_model, device)
        model.set_vocabulary(embeddings.to(device))
    else:
        backbone, pretrained = build_training_backbone(config.model)
        model = build_detector(config.model, embedding_dim=text_model.dim, backbone=backbone).to(device)
        model.set_vocabulary(embeddings)

    def checkpoint(state: dict) -> DetectorCheckpoint:
        return DetectorCheckpoint(
            model_config=config.model,
            pretrained_backbone=pretrained,
            text_model=text_model,
            vocabulary=classes,
            vocabulary_embeddings=embeddings,
            gt_classes=classes,
            state_dict=model.state_dict(),
            training={**state, "config": to_dict(config)},
        )

    trained = CaptionGroundedTeacher(model, config.grounding_weight) if config.captioned else model
    loop, start = start_loop(trained, out=out, optim=config.optim, engine=config.engine, info=info, device=device,
                             last=last, make_checkpoint=checkpoint, progress=progress)
    loader = ground_truth_loader(dataset, optim=config.optim, engine=config.engine, hflip=config.hflip, start=start,
                                 info=info, device=device)
    if not config.captioned:
        steps = loop.run(loader, lambda batch: loop.model(*to_device(*batch, device)), start_step=start)
        return finish_run(out, steps, start, info, checkpoint)

    # As the student's caption stream: a resumed run re-seeds by its start step.
    captions = caption_noun_stream(config.captioned, NounExtractor(load_lexicon()), seed=config.engine.seed + start,
                                   shuffle_buffer=config.shuffle_buffer, epoch=config.optim.max_steps - start,
                                   batch_size=config.caption_batch_size)
    caption_loader = torch.utils.data.DataLoader(captions, batch_size=None, num_workers=config.engine.num_workers)
    vocabulary = GroundingVocabulary(WordEmbeddings(embedder))

    def compute_losses(batch):
        base, (caption_images, caption_targets) = batch
        words, named = vocabulary([t["nouns"] for t in caption_targets])
        return loop.model(to_device(*base, device), [image.to(device) for image in caption_images], words.to(device), named)

    steps = loop.run(zip(loader, caption_loader), compute_losses, start_step=start)
    return finish_run(out, steps, start, info, checkpoint)
