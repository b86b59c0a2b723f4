"""One ``xpm predict`` run: the checkpoint with a vocabulary of the user's class names, embedded
by the checkpoint's own text model, run over the images batch by batch.

Output in ``OUT``: ``results.json`` (COCO results, RLE masks; ``category_id`` i is class i of
the vocabulary, ``image_id`` an image's position among the processed images from 1),
``images.json`` (a COCO file without annotations naming those images and categories, so
``COCO("images.json").loadRes("results.json")`` works, plus the skipped files with their
reasons), ``overlays/<name>.png`` (each image with its detections drawn) and
``predict_config.yaml``. Every file appears whole or not at all.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from itertools import tee
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import torch
from PIL import Image
from torchvision.ops import nms

from trainers.evaluation.inference import coco_results, detect
from xpm.config import save_config
from xpm.device import resolve_device
from xpm.io.atomic import write_text_atomically
from xpm.io.files import output_folder, save_png
from xpm.modeling.checkpoint import detector_from_checkpoint, read_checkpoint, text_embedder_for
from commands.predict.config import PredictConfig
from commands.predict.inputs import Skipped, image_files, load_image
from xpm.visualize import draw_instances
from xpm.progress import Progress

RESULTS_FILE = "results.json"
IMAGES_FILE = "images.json"
OVERLAY_DIR = "overlays"
CONFIG_FILE = "predict_config.yaml"


@dataclass(frozen=True)
class PredictResult:
    out_dir: Path
    images: int
    # In results.json: what the checkpoint's own score threshold, per-class NMS and per-image cap let through.
    detections: int
    # Of those, on the overlays; the others scored below the draw threshold or overlapped a
    # better-scoring drawn box.
    drawn: int
    below_draw_threshold: int
    skipped: tuple[Skipped, ...]
    # Decoding, inference and writing, after the model and text embeddings are loaded.
    seconds: float

    @property
    def images_per_second(self) -> float:
        return self.images / self.seconds if self.seconds > 0 else 0.0

    @property
    def overlapping(self) -> int:
        return self.detections - self.drawn - self.below_draw_threshold


def overlay_names(paths: Sequence[Path]) -> list[str]:
    """``<stem>.png`` per input; inputs that share a stem get their position appended, so no
    overlay overwrites another."""
    stems = Counter(path.stem for path in paths)
    return [f"{p.stem}.png" if stems[p.stem] == 1 else f"{p.stem}-{i}.png" for i, p in enumerate(paths)]


def drawn_detections(detection: dict, *, draw_threshold: float, nms_iou: float) -> np.ndarray:
    """Indices of the detections an overlay shows: confident enough, and the best of each group
    of boxes on one object, whatever their classes."""
    confident = np.flatnonzero(detection["scores"] >= draw_threshold)
    if len(confident) == 0:
        return confident
    kept = nms(torch.from_numpy(detection["boxes"][confident]).float(), torch.from_numpy(detection["scores"][confident]).float(),
               nms_iou)
    return confident[kept.numpy()]


def _overlay(pixels: np.ndarray, detection: dict, keep: np.ndarray, classes: Sequence[str], config: PredictConfig,
             mask_threshold: float) -> Image.Image:
    return draw_instances(
        Image.fromarray(pixels),
        detection["boxes"][keep],
        detection["masks"][keep] >= mask_threshold,
        [classes[int(label) - 1] for label in detection["labels"][keep]],
        detection["scores"][keep],
        display_size=config.display_size,
    )


def _usable_images(paths: Sequence[Path], names: Sequence[str], skipped: list[Skipped],
                   on_skip: Callable[[Skipped], None] | None) -> Iterator[tuple[Path, str, np.ndarray]]:
    """Each file decoded as it is reached; one that cannot be used goes to ``skipped``."""
    for path, name in zip(paths, names):
        loaded = load_image(path)
        if isinstance(loaded, Skipped):
            skipped.append(loaded)
            if on_skip is not None:
                on_skip(loaded)
        else:
            yield path, name, loaded


def predict_images(config: PredictConfig, *, on_skip: Callable[[Skipped], None] | None = None) -> PredictResult:
    """Run ``config``; ``on_skip`` hears of each file that cannot be used, as it happens."""
    paths = image_files(config.inputs)
    checkpoint = read_checkpoint(config.model)
    embedder = text_embedder_for(checkpoint, config.model)
    device = resolve_device(config.device)
    # Created only once the inputs, checkpoint and device are known to be usable.
    out = output_folder(config.out)
    model = detector_from_checkpoint(checkpoint, device)
    model.set_vocabulary(torch.from_numpy(embedder.embed(list(config.classes))))
    mask_threshold = checkpoint.model_config.mask_threshold
    images, results, skipped = [], [], []
    drawn = below_draw_threshold = 0
    # A rerun into the same folder must not leave an earlier run's overlays beside this one's:
    # they are written aside and replace the old folder at the end.
    overlays = out / f".{OVERLAY_DIR}.partial"
    shutil.rmtree(overlays, ignore_errors=True)
    overlays.mkdir()
    started = time.perf_counter()
    # detect reads one batch ahead of this loop and tee holds that batch for the overlays, so
    # memory holds one batch of images however many there are.
    usable, for_model = tee(_usable_images(paths, overlay_names(paths), skipped, on_skip))
    detections = detect(model, (pixels for _, _, pixels in for_model), batch_size=config.batch_size, device=device,
                        progress=Progress("predict", "images", total=len(paths)))
    for (path, name, pixels), detection in zip(usable, detections):
        image_id = len(images) + 1
        results += coco_results(image_id, detection, range(1, len(config.classes) + 1), mask_threshold)
        keep = drawn_detections(detection, draw_threshold=config.draw_threshold, nms_iou=config.nms_iou)
        drawn += len(keep)
        below_draw_threshold += int((detection["scores"] < config.draw_threshold).sum())
        save_png(_overlay(pixels, detection, keep, config.classes, config, mask_threshold), overlays / name)
        images.append({"id": image_id, "file_name": str(path), "width": int(pixels.shape[1]),
                       "height": int(pixels.shape[0]), "overlay": f"{OVERLAY_DIR}/{name}"})
    header = {
        "info": {"description": "xpm predict", "model": str(config.model), "text_model": checkpoint.text_model.id},
        "images": images,
        "annotations": [],
        "categories": [{"id": i, "name": name} for i, name in enumerate(config.classes, start=1)],
        "skipped": [{"file": str(s.path), "reason": s.reason} for s in skipped],
    }
    write_text_atomically(out / RESULTS_FILE, json.dumps(results) + "\n")
    write_text_atomically(out / IMAGES_FILE, json.dumps(header, indent=1) + "\n")
    save_config(config, out / CONFIG_FILE)
    shutil.rmtree(out / OVERLAY_DIR, ignore_errors=True)
    overlays.rename(out / OVERLAY_DIR)
    return PredictResult(out, len(images), len(results), drawn, below_draw_threshold, tuple(skipped),
                         time.perf_counter() - started)
