"""What one ``xpm demo`` run does (saved as OUT/demo_config.yaml) and how big its stages are."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DemoConfig:
    out: str = "runs/demo"
    quick: bool = False
    # Also train the Figure 6 students (gt+x, gt+x+m) and the oracle (target masks too).
    ablation: bool = False
    seed: int = 0
    split: str | None = None
    # Share of captions naming an object that is not in the image (the synthetic world's web noise).
    caption_noise: float = 0.1
    device: str = "auto"


@dataclass(frozen=True)
class DemoSizes:
    # SynthConfig fields; empty = the synthetic world's defaults.
    world: dict = field(default_factory=dict)
    # 0 = the packaged configs' step counts.
    teacher_steps: int = 0
    student_steps: int = 0
    calibration_steps: int = 100
    calibration_images: int = 1000
    figure_images: int = 6
    # captioned images whose pseudo labels the robust student's alpha is measured on
    reliability_images: int = 400


FULL = DemoSizes()
QUICK = DemoSizes(
    world={"train_images": 48, "caption_images": 64, "val_images": 24, "test_images": 24, "shard_size": 32},
    teacher_steps=20, student_steps=8, calibration_steps=4, calibration_images=32, figure_images=3,
    reliability_images=16,
)
