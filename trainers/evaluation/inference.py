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


def _as_numpy(output: dict) -> dict:
    return {
        "boxes": output["boxes"].float().cpu().numpy(),
        "scores": output["scores"].float().cpu().numpy(),
        "labels": output["labels"].cpu().numpy(),
        "masks": output["masks"][:, 0].float().cpu().numpy(),
    }


@torch.inference_mode()
def detect_under(model: OpenVocabMaskRCNN, images: Iterable[DecodedImage], vocabularies: Sequence[torch.Tensor], *,
                 batch_size: int, device: torch.device, progress: Progress | None = None,
                 segment: Sequence[list[torch.Tensor]] | None = None) -> Iterator[list[dict]]:
    """Per image, in order, its detections under each vocabulary (``[C_v, D]`` embeddings) from one
    pass of the backbone: numpy ``boxes`` (xyxy), ``scores``, ``labels`` (1-based index into that
    vocabulary) and ``masks`` (``[K, H, W]`` probabilities). ``images`` is read one batch at a
    time, so a generator that decodes them keeps one batch in memory. ``segment``: per image, per
    vocabulary, the classes whose detections get masks (``OpenVocabMaskRCNN.detect_vocabularies``)."""
    model.eval()
    images = iter(images)
    done = 0
    while chunk := list(islice(images, batch_size)):
        per_vocabulary = model.detect_vocabularies([as_tensor(image).to(device) for image in chunk], list(vocabularies),
                                                   None if segment is None else segment[done:done + len(chunk)])
        done += len(chunk)
        if progress is not None:
            progress.update(len(chunk))
        for index in range(len(chunk)):
            yield [_as_numpy(outputs[index]) for outputs in per_vocabulary]


def detect(model: OpenVocabMaskRCNN, images: Iterable[DecodedImage], *, batch_size: int, device: torch.device,
           progress: Progress | None = None) -> Iterator[dict]:
    """:func:`detect_under` the model's own vocabulary (``set_vocabulary``)."""
    for (detection,) in detect_under(model, images, [model.class_embeddings], batch_size=batch_size, device=device,
                                     progress=progress):
        yield detection


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
    images: Sequence[tuple[int, Path]],
    vocabularies: dict[str, tuple[torch.Tensor, Sequence[int], set[int]]],
    *,
    batch_size: int,
    device: torch.device,
    mask_threshold: float,
    truth_categories: dict[int, set[int]] | None = None,
) -> dict[str, list[dict]]:
    """COCO results of ``images`` (id, path) under each named vocabulary ``(embeddings, category id
    of each entry, the image ids it is evaluated on)``, from one pass over the images. With
    ``truth_categories`` (image id -> the categories its ground truth holds, crowd regions
    included), only those categories' detections are segmented: COCO matches a detection only to
    ground truth of its category in its image, so no other mask can change a segm AP, and the
    others are given empty masks."""
    names = list(vocabularies)
    segment = None
    if truth_categories is not None:
        segment = [[torch.tensor([c in truth_categories.get(image_id, ()) for c in vocabularies[n][1]]) for n in names]
                   for image_id, _ in images]
    results: dict[str, list[dict]] = {name: [] for name in names}
    detections = detect_under(model, (image_tensor(path) for _, path in images), [vocabularies[n][0] for n in names],
                              batch_size=batch_size, device=device, progress=Progress("eval", "images", total=len(images)),
                              segment=segment)
    for (image_id, _), per_vocabulary in zip(images, detections):
        for name, detection in zip(names, per_vocabulary):
            _, category_ids, evaluated_on = vocabularies[name]
            if image_id in evaluated_on:
                results[name] += coco_results(image_id, detection, category_ids, mask_threshold)
    return results
