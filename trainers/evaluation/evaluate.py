"""Evaluate a detector checkpoint in the paper's settings: the checks that make the numbers mean
something (the split's base classes are the ones the checkpoint was trained on, the text model
is the checkpoint's), then Table 2."""

from __future__ import annotations

from pathlib import Path

from schemas.split import read_split
from trainers.evaluation.coco_ap import save_matches
from trainers.evaluation.table2 import evaluate_table2
from xpm.device import resolve_device
from xpm.io.hashing import file_sha256
from xpm.modeling.checkpoint import detector_from_checkpoint, read_checkpoint, require_base_classes, text_embedder_for


def evaluate_checkpoint(model_path, gt, images, split_path, *, device: str = "auto", batch_size: int = 8, oracle: bool = False,
                        matches_path=None) -> dict:
    """Table 2 of the checkpoint on ``gt``'s images; with ``matches_path``, the generalized
    setting's per-image matches are kept there (``.npz``) for intervals over the images."""
    if batch_size < 1:
        raise ValueError(f"--batch-size {batch_size}: at least 1.")
    split = read_split(split_path)
    checkpoint = read_checkpoint(model_path)
    require_base_classes(checkpoint, split.base, model_path, split_path, oracle=oracle)
    embedder = text_embedder_for(checkpoint, model_path)
    torch_device = resolve_device(device)
    model = detector_from_checkpoint(checkpoint, torch_device)
    result, matches = evaluate_table2(
        model, embedder.embed, gt, images, split,
        batch_size=batch_size, device=torch_device, mask_threshold=checkpoint.model_config.mask_threshold,
    )
    if matches_path is not None:
        save_matches(matches_path, matches)
    result["meta"] = {
        "model": str(Path(model_path)),
        "model_sha256": file_sha256(model_path),
        "gt": str(gt),
        "gt_sha256": file_sha256(gt),
        "split": str(split_path),
        "oracle": oracle,
        "text_model": checkpoint.text_model.id,
        "score_thresh": checkpoint.model_config.score_thresh,
        "nms_thresh": checkpoint.model_config.nms_thresh,
        "detections_per_image": checkpoint.model_config.detections_per_image,
        "mask_threshold": checkpoint.model_config.mask_threshold,
    }
    return result
