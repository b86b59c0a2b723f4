"""The configuration of one ``xpm synth`` run (saved beside its output)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SynthConfig:
    seed: int = 0
    train_images: int = 2000
    caption_images: int = 2000
    val_images: int = 300
    # Held-out evaluation images (own random stream): every reported figure is measured here.
    test_images: int = 1000
    image_size: int = 128
    # Share of captions that name an object which is not in the image (web noise).
    caption_noise: float = 0.1
    # Chance that an object in the image goes unnamed by its caption.
    omit_rate: float = 0.2
    # Share of the objects in base-GT training images that are not base classes (unannotated, as
    # COCO keeps target objects in its training images but removes their masks).
    unlabeled_share: float = 0.15
    # Share of validation objects drawn from target classes.
    val_target_share: float = 0.4
    min_objects: int = 1
    max_objects: int = 6
    shard_size: int = 500
    jpeg_quality: int = 90
    split: str | None = None

    def __post_init__(self) -> None:
        checks = [
            (self.image_size >= 32, f"image_size={self.image_size}: use at least 32 pixels."),
            (self.train_images >= 0 and self.caption_images >= 0 and self.val_images >= 0
             and self.test_images >= 0, "image counts cannot be negative."),
            (0.0 <= self.caption_noise <= 1.0, f"caption_noise={self.caption_noise}: a probability in [0, 1]."),
            (0.0 <= self.omit_rate < 1.0, f"omit_rate={self.omit_rate}: a probability in [0, 1)."),
            (0.0 <= self.unlabeled_share < 1.0, f"unlabeled_share={self.unlabeled_share}: a share in [0, 1)."),
            (0.0 <= self.val_target_share <= 1.0, f"val_target_share={self.val_target_share}: a share in [0, 1]."),
            (1 <= self.min_objects <= self.max_objects, f"objects per image {self.min_objects}..{self.max_objects}: need 1 <= min <= max."),
            (self.shard_size >= 1, f"shard_size={self.shard_size}: at least 1 sample per shard."),
            (1 <= self.jpeg_quality <= 100, f"jpeg_quality={self.jpeg_quality}: between 1 and 100."),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"synth config: {message}")
