"""The teacher as a Beam ``ModelHandler``: ``load_model`` once per worker, ``run_inference`` on a
batch of images with their caption nouns, returning the Eq. 2 / Eq. 4 alignment of each.

Unlike Beam's PyTorch handlers, a device asked for and absent is an error here, never a silent
fall-back to CPU.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import torch
from apache_beam.metrics import Metrics
from apache_beam.ml.inference.base import ModelHandler

from pipeline.write.filesystem import local_copy
from xpm.device import resolve_device
from xpm.io.images import rgb_tensor
from xpm.modeling.alignment import DEFAULT_ALIGNMENT, parse_alignment
from xpm.modeling.checkpoint import detector_from_checkpoint, read_checkpoint
from xpm.modeling.detector import OpenVocabMaskRCNN
from xpm.progress import Progress

_IMAGES_LABELLED = Metrics.counter("xpm", "images_labelled")


@dataclass(frozen=True)
class AlignRequest:
    key: str
    pixels: np.ndarray = field(repr=False)  # H x W x 3 uint8
    noun_embeddings: np.ndarray = field(repr=False)  # K x D float32
    # K float32: each noun's threshold under a +calibrated@P rule (-inf: none); None otherwise
    noun_thresholds: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AlignedNoun:
    box_xyxy: tuple[float, float, float, float]
    score: float
    logit: float
    mask: np.ndarray = field(repr=False)  # H x W bool, Eq. 4


@dataclass(frozen=True)
class UnalignedNoun:
    """A noun the alignment rule gave no region: why, and its best Eq. 2 score."""

    reason: str
    logit: float


class TeacherModelHandler(ModelHandler[AlignRequest, list[AlignedNoun | UnalignedNoun], OpenVocabMaskRCNN]):
    def __init__(self, checkpoint: str, *, device: str = "auto", min_batch_size: int = 1, max_batch_size: int = 8,
                 alignment: str = DEFAULT_ALIGNMENT):
        if not 1 <= min_batch_size <= max_batch_size:
            raise ValueError(f"batch sizes {min_batch_size}..{max_batch_size}: need 1 <= min <= max.")
        parse_alignment(alignment)
        self._checkpoint = checkpoint
        self._alignment = alignment
        self._device_name = device
        self._batch = {"min_batch_size": min_batch_size, "max_batch_size": max_batch_size}
        resolve_device(device)  # fail at pipeline construction, not on a worker an hour later
        self._progress: Progress | None = None

    def identity(self) -> tuple[str, str, str]:
        """What makes two handlers load the same model: checkpoint, device and rule."""
        return self._checkpoint, self._device_name, self._alignment

    def load_model(self) -> OpenVocabMaskRCNN:
        device = resolve_device(self._device_name)
        return detector_from_checkpoint(read_checkpoint(local_copy(self._checkpoint)), device).eval()

    def run_inference(
        self, batch: Sequence[AlignRequest], model: OpenVocabMaskRCNN, inference_args: dict[str, Any] | None = None
    ) -> Iterable[list[AlignedNoun | UnalignedNoun]]:
        device = next(model.parameters()).device
        images = [rgb_tensor(r.pixels, device) for r in batch]
        nouns = [torch.from_numpy(r.noun_embeddings).to(device) for r in batch]
        thresholds = [None if r.noun_thresholds is None else torch.from_numpy(r.noun_thresholds) for r in batch]
        autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()
        if self._progress is None:  # started here, so its rate counts inference, not set-up
            self._progress = Progress("teacher (this worker)", "images")
        with torch.inference_mode(), autocast:
            results = model.align(images, nouns, self._alignment, thresholds)
        _IMAGES_LABELLED.inc(len(batch))
        self._progress.update(len(batch))
        return [_per_noun(r) for r in results]

    def batch_elements_kwargs(self) -> dict[str, int]:
        return self._batch

    def get_num_bytes(self, batch: Sequence[AlignRequest]) -> int:
        return sum(r.pixels.nbytes for r in batch)


def _per_noun(result: dict) -> list[AlignedNoun | UnalignedNoun]:
    """``OpenVocabMaskRCNN.align``'s result for one image, one entry per caption noun."""
    labelled = zip(result["box"].float().cpu().tolist(), result["mask"].cpu().numpy())
    nouns = []
    for region, reason, score, logit in zip(result["region"].tolist(), result["reasons"], result["score"].float().cpu().tolist(),
                                            result["logit"].float().cpu().tolist()):
        if region < 0:
            nouns.append(UnalignedNoun(reason, float(logit)))
            continue
        box, mask = next(labelled)
        nouns.append(AlignedNoun(tuple(float(v) for v in box), float(score), float(logit), mask))
    return nouns
