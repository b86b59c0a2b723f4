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
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from PIL import Image

from trainers.evaluation.inference import coco_results, detect
from xpm.config import save_config
from xpm.device import resolve_device
from xpm.io.atomic import write_text_atomically
from xpm.modeling.checkpoint import detector_from_checkpoint, read_checkpoint, text_embedder_for
from xpm.predict.config import PredictConfig
from xpm.predict.inputs import Skipped, image_files, load_image
from xpm.visualize import draw_instances, output_folder, save_png

RESULTS_FILE = "results.json"
IMAGES_FILE = "images.json"
OVERLAY_DIR = "overlays"
CONFIG_FILE = "predict_config.yaml"


@dataclass(frozen=True)
class PredictResult:
    out_dir: Path
    images: int
    detections: int
    skipped: tuple[Skipped, ...]
    # Decoding, inference and writing, after the model and text embeddings are loaded.
    seconds: float

    @property
    def images_per_second(self) -> float:
        return self.images / self.seconds if self.seconds > 0 else 0.0


def overlay_names(paths: Sequence[Path]) -> list[str]:
    """``<stem>.png`` per input; inputs that share a stem get their position appended, so no
    overlay overwrites another."""
    stems = Counter(path.stem for path in paths)
    return [f"{p.stem}.png" if stems[p.stem] == 1 else f"{p.stem}-{i}.png" for i, p in enumerate(paths)]


def _overlay(pixels: np.ndarray, detection: dict, classes: Sequence[str], *, draw_threshold: float, mask_threshold: float) -> Image.Image:
    keep = detection["scores"] >= draw_threshold
    return draw_instances(
        Image.fromarray(pixels),
        detection["boxes"][keep],
        detection["masks"][keep] >= mask_threshold,
        [classes[int(label) - 1] for label in detection["labels"][keep]],
        detection["scores"][keep],
    )


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
    names = overlay_names(paths)
    images, results, skipped = [], [], []
    started = time.perf_counter()
    # Batch by batch, so memory holds one batch of images however many there are.
    for start in range(0, len(paths), config.batch_size):
        batch = []
        for path, name in zip(paths[start : start + config.batch_size], names[start : start + config.batch_size]):
            loaded = load_image(path)
            if isinstance(loaded, Skipped):
                skipped.append(loaded)
                if on_skip is not None:
                    on_skip(loaded)
            else:
                batch.append((path, name, loaded))
        detections = detect(model, [path for path, _, _ in batch], batch_size=len(batch) or 1, device=device)
        for (path, name, pixels), detection in zip(batch, detections):
            image_id = len(images) + 1
            results += coco_results(image_id, detection, range(1, len(config.classes) + 1), mask_threshold)
            save_png(_overlay(pixels, detection, config.classes, draw_threshold=config.draw_threshold,
                              mask_threshold=mask_threshold), out / OVERLAY_DIR / name)
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
    return PredictResult(out, len(images), len(results), tuple(skipped), time.perf_counter() - started)
