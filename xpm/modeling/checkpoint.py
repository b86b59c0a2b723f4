"""Detector checkpoints: weights plus everything needed to use them again — the architecture,
the text model whose embedding space the classifier was trained into, the vocabulary trained
on and the classes that had box/mask ground truth. Loaded with ``weights_only=True``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from xpm.config import ConfigError, from_dict, to_dict
from xpm.io.atomic import atomic_output
from xpm.modeling.backbone import build_backbone
from xpm.modeling.config import ModelConfig
from xpm.modeling.errors import CheckpointError
from xpm.modeling.detector import OpenVocabMaskRCNN, build_detector

CHECKPOINT_FORMAT = "xpm.detector"
CHECKPOINT_VERSION = 1


@dataclass(frozen=True)
class TextModelIdentity:
    """The text model that embedded the vocabulary (its files' hash pins the exact weights)."""

    id: str
    hash: str
    mode: str
    dim: int


@dataclass(frozen=True)
class DetectorCheckpoint:
    model_config: ModelConfig
    pretrained_backbone: bool
    text_model: TextModelIdentity
    vocabulary: tuple[str, ...]
    vocabulary_embeddings: torch.Tensor
    gt_classes: tuple[str, ...]
    state_dict: dict
    # The trainer's own state (step, optimizer, RNG, config) when saved mid-training.
    training: dict = field(default_factory=dict)


def save_checkpoint(path: str | Path, checkpoint: DetectorCheckpoint) -> None:
    """Written to a temporary file and renamed, so a crash never leaves half a checkpoint."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "model_config": to_dict(checkpoint.model_config),
        "pretrained_backbone": checkpoint.pretrained_backbone,
        "text_model": to_dict(checkpoint.text_model),
        "vocabulary": list(checkpoint.vocabulary),
        "vocabulary_embeddings": checkpoint.vocabulary_embeddings.detach().cpu().float(),
        "gt_classes": list(checkpoint.gt_classes),
        "state_dict": {k: v.detach().cpu() for k, v in checkpoint.state_dict.items()},
        "training": checkpoint.training,
    }
    with atomic_output(Path(path)) as tmp:
        torch.save(payload, tmp)


def read_checkpoint(path: str | Path) -> DetectorCheckpoint:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} " + ("is a folder; give its model.pt." if path.is_dir() else "does not exist."))
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for a foreign or corrupt file
        # torch's message may advise weights_only=False, which must not be followed for a file
        # of unknown origin: only the error's type is shown.
        raise CheckpointError(
            f"checkpoint {path} is not a file xpm can read ({type(error).__name__}); give a model.pt written by "
            "`xpm train-teacher` or `xpm train-student` (xpm loads weights only, never pickled code)."
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not an xpm detector checkpoint (write one with `xpm train-teacher`).")
    if payload.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"checkpoint {path} has version {payload.get('version')}; this xpm reads {CHECKPOINT_VERSION}.")
    try:
        return DetectorCheckpoint(
            model_config=from_dict(ModelConfig, payload["model_config"], f"{path}: model_config"),
            pretrained_backbone=bool(payload["pretrained_backbone"]),
            text_model=from_dict(TextModelIdentity, payload["text_model"], f"{path}: text_model"),
            vocabulary=tuple(payload["vocabulary"]),
            vocabulary_embeddings=payload["vocabulary_embeddings"],
            gt_classes=tuple(payload["gt_classes"]),
            state_dict=payload["state_dict"],
            training=payload.get("training") or {},
        )
    except (KeyError, ConfigError) as error:
        raise CheckpointError(f"checkpoint {path} is incomplete or damaged ({error}).") from None


def require_base_classes(checkpoint: DetectorCheckpoint, base: tuple[str, ...], where: str | Path, split_where: str | Path,
                         *, oracle: bool = False) -> None:
    """The split's base classes must be the ones the checkpoint had ground truth for: otherwise
    its "target" classes are not unseen, and base/target numbers mean nothing. An ``oracle`` (an
    upper bound trained with target ground truth on purpose) must still cover every base class."""
    if oracle and set(base) <= set(checkpoint.gt_classes):
        return
    if set(checkpoint.gt_classes) != set(base):
        only_model = sorted(set(checkpoint.gt_classes) - set(base))
        only_split = sorted(set(base) - set(checkpoint.gt_classes))
        raise CheckpointError(
            f"{where} was trained on other base classes than {split_where} names (only in the checkpoint: "
            f"{only_model[:5]}; only in the split: {only_split[:5]}); use the split it was trained with."
        )


def text_embedder_for(checkpoint: DetectorCheckpoint, where: str | Path = "checkpoint"):
    """The text model the checkpoint was trained with, refusing one whose files differ."""
    from xpm.text.embedder import TextEmbedder

    identity = checkpoint.text_model
    embedder = TextEmbedder(identity.id, mode=identity.mode)
    if embedder.model_hash != identity.hash:
        raise CheckpointError(
            f"{where} was trained with text model {identity.id!r} of sha256 {identity.hash[:12]}, but the model found "
            f"here has {embedder.model_hash[:12]}: its embeddings would not match the classifier. Install that model."
        )
    return embedder


def detector_from_checkpoint(checkpoint: DetectorCheckpoint, device: torch.device | str = "cpu") -> OpenVocabMaskRCNN:
    """The model with the checkpoint's weights, on ``device``, its training vocabulary set."""
    config = checkpoint.model_config
    backbone = build_backbone(config, pretrained_from=None, pretrained=checkpoint.pretrained_backbone)
    model = build_detector(config, embedding_dim=checkpoint.text_model.dim, backbone=backbone)
    model.load_state_dict(checkpoint.state_dict)
    model.to(device)
    model.set_vocabulary(checkpoint.vocabulary_embeddings)
    return model

