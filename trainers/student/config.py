"""The configuration of one ``xpm train-student`` run (saved beside its checkpoint)."""

from __future__ import annotations

from dataclasses import dataclass, field

from trainers.data.label_controls import LABEL_SOURCES
from trainers.engine.config import EngineConfig, OptimConfig
from xpm.modeling.student import CaptionLossSettings

LOSS_SETS = ("gt+x", "gt+x+m", "gt+x+m+alpha")


@dataclass(frozen=True)
class StudentConfig:
    # A dataset version ROOT/NAME/vN of pseudo labels, base GT (COCO JSON + images) and the split.
    data: str = ""
    base_gt: str = ""
    base_images: str = ""
    split: str = ""
    # The teacher checkpoint the student starts from (paper: initialised with teacher weights).
    init: str = ""
    # Figure 6's ablation: which caption losses; the robust student is gt+x+m+alpha.
    losses: str = "gt+x+m+alpha"
    # The reliability weight of L_X^alpha (used with +alpha): Eq. 7 noise (the paper), none, the
    # teacher's score (Table 3), the student's agreement with the label, or signals joined by "+".
    reliability: str = "noise"
    eta: float = 0.01
    # "batch-mean" (default): Eq. 7 with eta chosen per batch so that its alphas average 1;
    # "eta": the paper's constant eta (calibrate it with ``xpm calibrate-eta``); "group-mean": as
    # batch-mean, separately for base-class and novel nouns. Why: xpm/modeling/student_losses.py;
    # measured in docs/results.md.
    alpha_scale: str = "batch-mean"
    alpha_cap: float = 10.0
    mask_samples: int = 8
    # Captioned images per step; base GT images per step are optim.batch_size. Their ratio is the
    # mix of the two sources.
    caption_batch_size: int = 4
    shuffle_buffer: int = 256
    hflip: bool = True
    # What the captioned images are labelled with: the version's pseudo labels, or a control of an
    # experiment: "shuffled" (each label's noun permuted among images) or "truth" (the instances
    # the caption nouns name, from truth_gt: a synthetic world's captioned/instances_all.json).
    labels: str = "pseudo"
    truth_gt: str = ""
    optim: OptimConfig = field(default_factory=OptimConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)

    def __post_init__(self) -> None:
        for name in ("data", "base_gt", "base_images", "split", "init"):
            if not getattr(self, name):
                raise ValueError(f"student config: {name} is required (--{name.replace('_', '-')} or in the YAML).")
        if self.losses not in LOSS_SETS:
            raise ValueError(f"student config: losses={self.losses!r}: one of {', '.join(LOSS_SETS)}.")
        try:  # the loss settings validate reliability, alpha_scale and their combination
            self.caption_settings()
        except ValueError as error:
            raise ValueError(f"student config: {error}") from None
        if self.labels not in LABEL_SOURCES:
            raise ValueError(f"student config: labels={self.labels!r}: one of {', '.join(LABEL_SOURCES)}.")
        if self.labels == "truth" and not self.truth_gt:
            raise ValueError("student config: labels=truth needs truth_gt, the COCO instances of the captioned images "
                             "(a synthetic world's captioned/instances_all.json).")
        if self.caption_batch_size < 1:
            raise ValueError("student config: caption_batch_size is at least 1.")

    def caption_settings(self) -> CaptionLossSettings:
        return CaptionLossSettings(
            mask_loss="+m" in self.losses,
            reliability=self.reliability if self.losses.endswith("+alpha") else "none",
            eta=self.eta, alpha_scale=self.alpha_scale, alpha_cap=self.alpha_cap, mask_samples=self.mask_samples,
        )
