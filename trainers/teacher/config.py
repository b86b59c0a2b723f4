"""The configuration of one ``xpm train-teacher`` run (saved beside its checkpoint)."""

from __future__ import annotations

from dataclasses import dataclass, field

from trainers.engine.config import EngineConfig, OptimConfig
from xpm.modeling.config import ModelConfig
from xpm.text.model_files import DEFAULT_TEXT_MODEL


@dataclass(frozen=True)
class TeacherConfig:
    # COCO-format ground truth of the base classes, and the folder of its images.
    train_gt: str = ""
    train_images: str = ""
    # The split file: its base classes are the training vocabulary.
    split: str = ""
    # Hugging Face model directory or name (local); the paper uses bert-base-uncased.
    text_model: str = DEFAULT_TEXT_MODEL
    text_mode: str = "bert-input"
    # Optional checkpoint to start from (same model config and text model); its training
    # vocabulary is replaced by this split's base classes. The demo's oracle continues the teacher
    # this way on ground truth that includes the target classes.
    init: str = ""
    # Train on the target classes' ground truth too: not a teacher but the upper bound a method
    # without target masks is measured against (the demo's oracle row).
    oracle: bool = False
    hflip: bool = True
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)

    def __post_init__(self) -> None:
        for name in ("train_gt", "train_images", "split"):
            if not getattr(self, name):
                raise ValueError(f"teacher config: {name} is required (--{name.replace('_', '-')} or in the YAML).")
