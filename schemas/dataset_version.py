"""A dataset version ``ROOT/NAME/vN/``: the pseudo-labeling pipeline's output, immutable.

``shards/NNNNN.tar`` (per sample ``<key>.jpg`` original bytes, ``<key>.txt`` caption,
``<key>.json`` :class:`schemas.pseudo_label.PseudoLabels`), ``manifest.json`` (each shard's
sha256 / bytes / samples, and the lineage), ``index.parquet`` (a row per sample),
``vocab.parquet`` (the caption vocabulary V_C with its embeddings) and ``rejects.parquet``
(every input sample that is not in a shard, with the stage and reason). A version directory
exists only once complete: it is built under a hidden staging name and renamed.
"""

from __future__ import annotations

import pyarrow as pa

MANIFEST_FORMAT = "xpm.dataset_version"
MANIFEST_VERSION = 1
MANIFEST_FILE = "manifest.json"
SHARDS_DIR = "shards"
INDEX_FILE = "index.parquet"
VOCAB_FILE = "vocab.parquet"
REJECTS_FILE = "rejects.parquet"
VERSION_PREFIX = "v"

# A +calibrated@P alignment rule's per-word thresholds ({word: Eq. 2 score}), when the run used one.
THRESHOLDS_FILE = "alignment_thresholds.json"

INDEX_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("shard", pa.string()),
        ("input_shard", pa.string()),
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("caption", pa.string()),
        ("nouns", pa.list_(pa.string())),
        # caption nouns the alignment rule gave no label (their reasons are in the shard record)
        ("unlabeled_nouns", pa.list_(pa.string())),
        ("image_sha256", pa.string()),
    ]
)

VOCAB_SCHEMA = pa.schema(
    [
        ("vocab_id", pa.int32()),
        ("word", pa.string()),
        ("synset", pa.string()),
        ("count", pa.int64()),
        ("embedding", pa.list_(pa.float32())),
    ]
)

# stage: where the sample left the pipeline (read, decode, nouns, inference); reason: a short
# machine-readable code; detail: the human-readable specifics.
REJECTS_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("input_shard", pa.string()),
        ("stage", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
    ]
)


# lineage["labeler"]: the checkpoint that chose the labels: {"kind", "path", "sha256", "step"}.
# A teacher learnt from base ground truth (an oracle from target ground truth too); a student
# from a dataset version, which "trained_on" names with that version's own labeler
# ({"version", "version_sha256", "labeler"}, or {"version", "found": false} when it was not
# readable at labelling time), so the chain back to the first teacher travels with every version.
LABELER_KINDS = ("teacher", "oracle", "student")


def labeler_of(lineage: dict) -> dict:
    """The version's labeler; a version written before labelers were recorded names its teacher."""
    return lineage.get("labeler") or {"kind": "teacher", "path": lineage["teacher"], "sha256": lineage["teacher_sha256"]}


def version_dir_name(number: int) -> str:
    return f"{VERSION_PREFIX}{number}"


def parse_version_dir_name(name: str) -> int | None:
    """``"v12"`` -> 12; anything else (staging folders, stray files) -> None."""
    digits = name[len(VERSION_PREFIX):]
    if name.startswith(VERSION_PREFIX) and digits.isdigit() and not digits.startswith("0"):
        return int(digits)
    return None
