"""The end of a run: per-shard records -> manifest, index, vocabulary and rejects of the version.

Each output shard's record (``parts/<shard>.json``, written right after its tar and so the
shard's completion marker) holds its entry, its input's hash and count, its rejects and its
index rows; here they are merged in shard order. The manifest is written last.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from pipeline.write.filesystem import read_bytes, write_bytes
from pipeline.write.shard_writer import canonical_json
from schemas.dataset_version import (
    INDEX_FILE,
    INDEX_SCHEMA,
    MANIFEST_FILE,
    MANIFEST_FORMAT,
    MANIFEST_VERSION,
    REJECTS_FILE,
    REJECTS_SCHEMA,
    SHARDS_DIR,
    VOCAB_FILE,
    VOCAB_SCHEMA,
)

PARTS_DIR = "parts"


def part_path(staging: str, shard: str) -> str:
    return FileSystems.join(staging, PARTS_DIR, f"{shard}.json")


def shard_path(staging: str, shard: str) -> str:
    return FileSystems.join(staging, SHARDS_DIR, f"{shard}.tar")


def _parquet(rows: list[dict], schema: pa.Schema) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), buffer)
    return buffer.getvalue()


def finalize_version(staging: str, shards: list[str], lineage: dict, embed, vocab_ids: dict[str, int]) -> dict:
    """Write index, vocab, rejects and (last) the manifest into ``staging``; returns the manifest."""
    parts = [json.loads(read_bytes(part_path(staging, shard))) for shard in shards]
    index = [row for part in parts for row in part["index"]]
    rejects = [row for part in parts for row in part["rejects"]]
    senses = Counter((noun, synset) for row in index for noun, synset in zip(row["nouns"], row.pop("synsets")))
    by_word = Counter((word, reason) for row in index for word, reason in zip(row["unlabeled_nouns"], row["unlabeled_reasons"]))
    unlabeled = Counter(reason for row in index for reason in row.pop("unlabeled_reasons"))
    # One row of V_C per word (its vocab_id, its embedding): a word the captions use in two senses
    # must not appear twice, or the student's softmax over V_C would split each of its labels
    # between two identical rows. The row shows the word's most frequent sense in the version;
    # each label keeps its own sense.
    counts, synset_of = Counter(), {}
    for (word, synset), count in sorted(senses.items(), key=lambda item: (-item[1], item[0])):
        counts[word] += count
        synset_of.setdefault(word, synset)
    words = sorted(counts, key=lambda word: vocab_ids[word])
    vectors = embed(words) if words else np.zeros((0, 1), np.float32)
    vocab = [
        {"vocab_id": vocab_ids[word], "word": word, "synset": synset_of[word], "count": counts[word],
         "embedding": vector.astype(np.float32).tolist()}
        for word, vector in zip(words, vectors)
    ]
    write_bytes(FileSystems.join(staging, INDEX_FILE), _parquet(index, INDEX_SCHEMA))
    write_bytes(FileSystems.join(staging, REJECTS_FILE), _parquet(rejects, REJECTS_SCHEMA))
    write_bytes(FileSystems.join(staging, VOCAB_FILE), _parquet(vocab, VOCAB_SCHEMA))
    samples_read = sum(part["input"]["samples_read"] for part in parts)
    manifest = {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "shards": [part["entry"] for part in parts],
        "counts": {
            "samples_read": samples_read,
            "samples": len(index),
            "rejects": len(rejects),
            "rejects_by_reason": dict(sorted(Counter(f"{r['stage']}/{r['reason']}" for r in rejects).items())),
            "nouns": sum(counts.values()),
            "unlabeled_by_reason": dict(sorted(unlabeled.items())),
            "unlabeled_by_word": {word: {r: n for (w, r), n in sorted(by_word.items()) if w == word}
                                  for word in sorted({word for word, _ in by_word})},
            "vocabulary": len(vocab),
        },
        "lineage": {
            **lineage,
            "inputs": [{"shard": shard, **part["input"]} for shard, part in zip(shards, parts)],
            "vocabulary_sha256": hashlib.sha256(canonical_json(vocab)).hexdigest(),
        },
    }
    if len(index) + len(rejects) != samples_read:
        raise RuntimeError(
            f"accounting failed: {len(index)} samples + {len(rejects)} rejects != {samples_read} read; the staging "
            f"folder {staging} is kept for inspection."
        )
    write_bytes(FileSystems.join(staging, MANIFEST_FILE), json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n")
    return manifest
