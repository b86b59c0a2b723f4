"""One sample of a dataset version's shards, decoded as the student trains on it: the image as the
teacher saw it (``xpm.io.images.decode_image``), the pseudo labels with the schema's JSON reader, masks from RLE. The student's loader and
the pictures of a version (``xpm dataset show --samples``, the report's gallery) both use it, so
what is shown is what training sees."""

from __future__ import annotations

import json

import numpy as np
import torch

from schemas.captioned_shard import IMAGE_EXTENSIONS
from schemas.pseudo_label import PseudoLabels
from xpm.io.images import BadImage, decode_image, rgb_tensor
from xpm.masks import decode_rle


def decode_pseudo_sample(sample: dict, vocab_rows: dict[int, int]) -> tuple[torch.Tensor, dict]:
    """A raw webdataset sample -> (image ``[3, H, W]`` in [0, 1], target): ``boxes``, ``masks``,
    ``vocab_index`` (rows of V_C), ``teacher_scores``."""
    image_ext = next((ext for ext in IMAGE_EXTENSIONS if ext in sample), None)
    if image_ext is None or "json" not in sample:
        raise ValueError(f"sample {sample.get('__key__')!r} lacks an image or its pseudo labels.")
    pixels = decode_image(sample[image_ext])
    if isinstance(pixels, BadImage):
        raise ValueError(f"sample {sample.get('__key__')!r}: its image cannot be decoded ({pixels.reason} {pixels.detail}).")
    labels = PseudoLabels.from_json(json.loads(sample["json"]))
    nouns = labels.nouns
    target = {
        "boxes": torch.tensor([n.box_xyxy for n in nouns], dtype=torch.float32).reshape(-1, 4),
        "masks": torch.from_numpy(np.stack([decode_rle(n.mask_rle) for n in nouns]).astype(np.uint8))
        if nouns else torch.zeros((0, *pixels.shape[:2]), dtype=torch.uint8),
        "vocab_index": torch.tensor([vocab_rows[n.vocab_id] for n in nouns], dtype=torch.int64),
        "teacher_scores": torch.tensor([n.score for n in nouns], dtype=torch.float32),
        "key": labels.key,
    }
    return rgb_tensor(pixels), target
