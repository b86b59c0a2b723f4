"""What flows between the pipeline's stages: samples, and rejects (the dead-letter records)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Reject:
    """A sample that left the pipeline: where (``stage``), why (``reason``, a short code), and
    the specifics (``detail``). Every input sample ends in a shard or as exactly one of these."""

    key: str
    input_shard: str
    stage: str
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class RawSample:
    """One sample as read from an input shard: its members' bytes by extension."""

    key: str
    input_shard: str
    parts: dict[str, bytes]


@dataclass(frozen=True)
class DecodedSample:
    """A sample whose image decoded and whose caption is text. ``image_bytes`` are the original
    bytes (written out unchanged), ``pixels`` the RGB ``H x W x 3`` uint8 array for the teacher."""

    key: str
    input_shard: str
    image_bytes: bytes
    image_ext: str
    caption: str
    pixels: np.ndarray = field(repr=False)
