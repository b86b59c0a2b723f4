"""The architecture of one open-vocabulary Mask R-CNN, as stored in its checkpoint."""

from __future__ import annotations

from dataclasses import dataclass

BACKBONES = ("resnet18", "resnet34", "resnet50")


@dataclass(frozen=True)
class ModelConfig:
    """Defaults are the paper's scale (ResNet-50-FPN, 800 px) for GPUs; ``xpm/configs/`` holds
    small configurations that train on 2 CPU cores in minutes."""

    # Backbone: a torchvision ResNet with an FPN over its last ``fpn_levels`` stages.
    backbone: str = "resnet50"
    fpn_channels: int = 256
    fpn_levels: int = 4
    # "auto": torchvision's ImageNet weights when already in its cache, else from scratch (said
    # once in the log); "none": from scratch; otherwise the path of a local state-dict file.
    backbone_weights: str = "auto"
    # Images are resized so the short side is min_size (long side at most max_size).
    min_size: int = 800
    max_size: int = 1333
    # One anchor size per FPN level, smallest first (an extra pooled level is added on top).
    anchor_sizes: tuple[int, ...] = (32, 64, 128, 256, 512)
    rpn_pre_nms_top_n_train: int = 2000
    rpn_post_nms_top_n_train: int = 2000
    rpn_pre_nms_top_n_test: int = 1000
    rpn_post_nms_top_n_test: int = 1000
    rpn_batch_size_per_image: int = 256
    # RoIAlign samples per bin side; 1 quarters its cost (its CPU backward is single-threaded).
    roi_sampling_ratio: int = 2
    box_batch_size_per_image: int = 512
    box_positive_fraction: float = 0.25
    box_representation_size: int = 1024
    mask_head_layers: int = 4
    # Positive RoIs per image that train the mask head (0: all of them, as Mask R-CNN does).
    # With few objects per image most positives overlap the same object; a cap cuts the mask
    # head's share of a CPU step (a third at 128 px) at little cost in mask quality.
    mask_rois_per_image: int = 0
    # Paper 4.1: the background term of the classification loss is weighted 0.2 (after OVR-CNN).
    background_weight: float = 0.2
    # Inference: a detection is kept when its softmax probability over [background, vocabulary]
    # reaches score_thresh; per-class NMS at nms_thresh; at most detections_per_image.
    score_thresh: float = 0.05
    nms_thresh: float = 0.5
    detections_per_image: int = 100
    # A pixel belongs to the mask where the mask probability reaches this (0.5 = logit 0, Eq. 4).
    mask_threshold: float = 0.5

    def __post_init__(self) -> None:
        checks = [
            (self.backbone in BACKBONES, f"backbone={self.backbone!r}: one of {', '.join(BACKBONES)}."),
            (self.fpn_channels >= 8, f"fpn_channels={self.fpn_channels}: at least 8."),
            (1 <= self.fpn_levels <= 4, f"fpn_levels={self.fpn_levels}: between 1 and 4 ResNet stages."),
            (len(self.anchor_sizes) == self.fpn_levels + 1,
             f"anchor_sizes has {len(self.anchor_sizes)} sizes; give one per FPN level plus the pooled level ({self.fpn_levels + 1})."),
            (32 <= self.min_size <= self.max_size, f"min_size={self.min_size}, max_size={self.max_size}: need 32 <= min_size <= max_size."),
            (0.0 <= self.background_weight <= 1.0, f"background_weight={self.background_weight}: in [0, 1]."),
            (0.0 <= self.score_thresh < 1.0, f"score_thresh={self.score_thresh}: in [0, 1)."),
            (0.0 < self.nms_thresh <= 1.0, f"nms_thresh={self.nms_thresh}: in (0, 1]."),
            (0.0 < self.mask_threshold < 1.0, f"mask_threshold={self.mask_threshold}: in (0, 1)."),
            (self.mask_rois_per_image >= 0, f"mask_rois_per_image={self.mask_rois_per_image}: 0 (all) or more."),
            (self.roi_sampling_ratio >= 1, f"roi_sampling_ratio={self.roi_sampling_ratio}: at least 1."),
            (self.detections_per_image >= 1, f"detections_per_image={self.detections_per_image}: at least 1."),
            (0.0 < self.box_positive_fraction <= 1.0, f"box_positive_fraction={self.box_positive_fraction}: in (0, 1]."),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"model config: {message}")

