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
    # Captioned-image shards (a glob, brace pattern or comma list, as ``xpm pseudo-label --input``
    # takes) to ground the embedding head in: the paper's teacher is caption-pretrained (4.1).
    # Empty: base-class ground truth only.
    captioned: str = ""
    grounding_weight: float = 1.0
    caption_batch_size: int = 4
    shuffle_buffer: int = 256
    hflip: bool = True
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)

    def __post_init__(self) -> None:
        for name in ("train_gt", "train_images", "split"):
            if not getattr(self, name):
                raise ValueError(f"teacher config: {name} is required (--{name.replace('_', '-')} or in the YAML).")
        if self.grounding_weight <= 0 or self.caption_batch_size < 1 or self.shuffle_buffer < 1:
            raise ValueError(
                f"teacher config: grounding_weight={self.grounding_weight}, caption_batch_size={self.caption_batch_size}, "
                f"shuffle_buffer={self.shuffle_buffer}: the weight must be positive and the sizes at least 1."
            )
