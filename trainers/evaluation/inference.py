"""Batched detector inference over image files, as COCO results (RLE masks)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import torch
from pycocotools import mask as coco_mask

from trainers.data.coco_instances import read_rgb
from xpm.modeling.detector import OpenVocabMaskRCNN


def image_tensor(path: Path) -> torch.Tensor:
    return torch.from_numpy(np.array(read_rgb(path))).permute(2, 0, 1).float().div_(255)


def _batches(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@torch.inference_mode()
def detect(model: OpenVocabMaskRCNN, paths: Sequence[Path], *, batch_size: int, device: torch.device) -> Iterator[dict]:
    """Per image, in order: numpy ``boxes`` (xyxy), ``scores``, ``labels`` (1-based vocabulary
    index) and ``masks`` (``[K, H, W]`` probabilities)."""
    model.eval()
    for chunk in _batches(list(paths), batch_size):
        outputs = model([image_tensor(path).to(device) for path in chunk])
        for output in outputs:
            yield {
                "boxes": output["boxes"].float().cpu().numpy(),
                "scores": output["scores"].float().cpu().numpy(),
                "labels": output["labels"].cpu().numpy(),
                "masks": output["masks"][:, 0].float().cpu().numpy(),
            }


def coco_results(image_id: int, detection: dict, category_ids: Sequence[int], mask_threshold: float) -> list[dict]:
    """COCO result records; ``category_ids[i]`` is the category of vocabulary entry ``i + 1``."""
    if len(detection["scores"]) == 0:
        return []
    binary = np.asfortranarray((detection["masks"] >= mask_threshold).transpose(1, 2, 0).astype(np.uint8))
    rles = coco_mask.encode(binary)
    results = []
    for box, score, label, rle in zip(detection["boxes"], detection["scores"], detection["labels"], rles):
        x1, y1, x2, y2 = (float(v) for v in box)
        results.append(
            {
                "image_id": int(image_id),
                "category_id": int(category_ids[int(label) - 1]),
                "bbox": [round(x1, 2), round(y1, 2), round(x2 - x1, 2), round(y2 - y1, 2)],
                "score": round(float(score), 5),
                "segmentation": {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")},
            }
        )
    return results


def predict_coco(
    model: OpenVocabMaskRCNN,
    images: Iterable[tuple[int, Path]],
    category_ids: Sequence[int],
    *,
    batch_size: int,
    device: torch.device,
    mask_threshold: float,
) -> list[dict]:
    images = list(images)
    detections = detect(model, [path for _, path in images], batch_size=batch_size, device=device)
    return [r for (image_id, _), d in zip(images, detections) for r in coco_results(image_id, d, category_ids, mask_threshold)]
