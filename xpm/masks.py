"""Binary masks <-> COCO RLE (pycocotools), the one mask encoding of every xpm file."""

from __future__ import annotations

import numpy as np
from pycocotools import mask as coco_mask


def encode_rle(mask: np.ndarray) -> dict:
    """``HxW`` bool/0-1 array -> ``{"size": [H, W], "counts": str}`` (JSON-ready)."""
    if mask.ndim != 2:
        raise ValueError(f"a mask is 2-D (H, W); got shape {mask.shape}.")
    rle = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}


def decode_rle(rle: dict) -> np.ndarray:
    """COCO RLE (compressed string or uncompressed list counts) -> ``HxW`` bool array."""
    counts = rle["counts"]
    if isinstance(counts, list):
        rle = coco_mask.frPyObjects(rle, *rle["size"])
    elif isinstance(counts, str):
        rle = {"size": rle["size"], "counts": counts.encode("ascii")}
    return coco_mask.decode(rle).astype(bool)


def rle_area(rle: dict) -> int:
    return int(coco_mask.area({"size": rle["size"], "counts": rle["counts"].encode("ascii")}))


def mask_box_xywh(mask: np.ndarray) -> list[float]:
    """The tight box of a mask in COCO's ``[x, y, width, height]``; zeros for an empty mask."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return [0.0, 0.0, 0.0, 0.0]
    return [float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)]
