"""Batched detector inference over decoded images, as COCO results (RLE masks)."""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import torch
from PIL import Image
from pycocotools import mask as coco_mask

from xpm.io.images import read_rgb, rgb_tensor
from xpm.modeling.detector import OpenVocabMaskRCNN
from xpm.progress import Progress

# A decoded image: a ``[3, H, W]`` float tensor in [0, 1], or ``H x W x 3`` uint8 RGB as an
# array or a PIL image.
DecodedImage = torch.Tensor | np.ndarray | Image.Image


def as_tensor(image: DecodedImage) -> torch.Tensor:
    if isinstance(image, torch.Tensor):
        return image
    return rgb_tensor(image)


def image_tensor(path: Path) -> torch.Tensor:
    return as_tensor(read_rgb(path))


@torch.inference_mode()
def detect(model: OpenVocabMaskRCNN, images: Iterable[DecodedImage], *, batch_size: int, device: torch.device,
           progress: Progress | None = None) -> Iterator[dict]:
    """Per image, in order: numpy ``boxes`` (xyxy), ``scores``, ``labels`` (1-based vocabulary
    index) and ``masks`` (``[K, H, W]`` probabilities). ``images`` is read one batch at a time,
    so a generator that decodes them keeps one batch in memory."""
    model.eval()
    images = iter(images)
    while chunk := list(islice(images, batch_size)):
        outputs = model([as_tensor(image).to(device) for image in chunk])
        if progress is not None:
            progress.update(len(chunk))
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
    detections = detect(model, (image_tensor(path) for _, path in images), batch_size=batch_size, device=device,
                        progress=Progress("eval", "images", total=len(images)))
    return [r for (image_id, _), d in zip(images, detections) for r in coco_results(image_id, d, category_ids, mask_threshold)]
