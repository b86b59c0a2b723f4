"""Captioned-image shards in img2dataset's webdataset layout, the pipeline's input.

``NNNNN.tar`` holds per sample ``<key>.jpg`` (image bytes), ``<key>.txt`` (caption) and
``<key>.json`` (the metadata row below); beside it ``NNNNN.parquet`` (one row per sample,
:data:`PARQUET_SCHEMA`) and ``NNNNN_stats.json`` (:func:`stats_record`). Keys are the shard
number followed by the sample's index in the shard, digits only, so they never hold a dot.
"""

from __future__ import annotations

import pyarrow as pa

SHARD_LAYOUT_VERSION = 1
SHARD_DIGITS = 5
IMAGE_EXT, CAPTION_EXT, META_EXT = "jpg", "txt", "json"
# The image members a reader accepts: the synthetic world writes jpg, img2dataset may write any.
IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "webp")

PARQUET_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("url", pa.string()),
        ("caption", pa.string()),
        ("status", pa.string()),
        ("error_message", pa.string()),
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("original_width", pa.int32()),
        ("original_height", pa.int32()),
        ("sha256", pa.string()),
    ]
)


def sample_digits(shard_size: int) -> int:
    """img2dataset's width of the in-shard index: enough digits for the shard size, at least 4."""
    return max(4, len(str(max(shard_size - 1, 0))))


def sample_key(shard: int, index: int, shard_size: int) -> str:
    return f"{shard:0{SHARD_DIGITS}d}{index:0{sample_digits(shard_size)}d}"


def shard_name(shard: int) -> str:
    return f"{shard:0{SHARD_DIGITS}d}"


def stats_record(count: int, successes: int) -> dict:
    """The ``_stats.json`` of a shard; timing fields are left out so outputs are reproducible."""
    return {
        "count": count,
        "successes": successes,
        "failed_to_download": count - successes,
        "failed_to_resize": 0,
        "status_dict": {"success": successes, **({"failed": count - successes} if count > successes else {})},
        "layout_version": SHARD_LAYOUT_VERSION,
    }
