"""Streaming a dataset version's shards for the student (webdataset), as detector targets.

Before anything streams, every shard is checked against the manifest (a missing or altered shard
stops training, named). Samples are decoded by ``xpm.io.pseudo_label_samples``, never through
webdataset's default decoders, some of which unpickle. Shards are split by node and by worker;
``resampled`` + ``with_epoch`` give every rank the same number of samples per epoch under DDP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
import webdataset as wds

from schemas.dataset_version import MANIFEST_FILE, SHARDS_DIR, VOCAB_FILE
from trainers.data.shard_stream import resampled_stream
from xpm.config import ConfigError
from xpm.io.dataset_version import first_bad_shard
from xpm.io.parquet import read_parquet_rows
from xpm.io.pseudo_label_samples import decode_pseudo_sample


@dataclass(frozen=True)
class CaptionVocabulary:
    """V_C of a version: its words, their lexicon ids, and their embeddings ``[V, D]``."""

    words: tuple[str, ...]
    vocab_ids: tuple[int, ...]
    embeddings: torch.Tensor
    text_model: dict

    def index_of(self) -> dict[int, int]:
        return {vocab_id: row for row, vocab_id in enumerate(self.vocab_ids)}


@dataclass(frozen=True)
class VersionData:
    shards: list[str]
    samples: int
    vocabulary: CaptionVocabulary


def open_version_data(version_dir: str | Path) -> VersionData:
    version_dir = Path(version_dir)
    manifest_path = version_dir / MANIFEST_FILE
    if not manifest_path.is_file():
        raise ConfigError(f"{version_dir} is not a dataset version (no {MANIFEST_FILE}); pass ROOT/NAME/vN.")
    manifest = json.loads(manifest_path.read_text())
    shard_dir = version_dir / SHARDS_DIR
    problem = first_bad_shard(manifest["shards"], lambda n: open(shard_dir / n, "rb"), lambda n: (shard_dir / n).is_file())
    if problem:
        raise ConfigError(f"dataset version {version_dir} is damaged: {shard_dir}/{problem}; re-run pseudo-label or restore it.")
    rows = read_parquet_rows(version_dir / VOCAB_FILE)
    vocabulary = CaptionVocabulary(
        words=tuple(r["word"] for r in rows),
        vocab_ids=tuple(r["vocab_id"] for r in rows),
        embeddings=torch.tensor([r["embedding"] for r in rows], dtype=torch.float32),
        text_model=manifest["lineage"]["text_model"],
    )
    shards = [str(shard_dir / entry["name"]) for entry in manifest["shards"] if entry["samples"] > 0]
    samples = sum(e["samples"] for e in manifest["shards"])
    if samples == 0:
        raise ConfigError(f"dataset version {version_dir} holds no pseudo-labelled sample (`xpm dataset show {version_dir}` "
                          "says why); pseudo-label captioned images first.")
    return VersionData(shards, samples, vocabulary)


def pseudo_label_stream(data: VersionData, *, seed: int, shuffle_buffer: int, epoch: int, batch_size: int | None = None,
                        relabel=None) -> wds.DataPipeline:
    """An endless, resampled stream of decoded samples, or of collated batches of ``batch_size``
    (see :func:`resampled_stream`); ``relabel`` replaces each sample's targets (an experiment's
    controls, ``trainers.data.label_controls``)."""
    vocab_rows = data.vocabulary.index_of()

    def decode(sample):
        image, target = decode_pseudo_sample(sample, vocab_rows)
        return image, relabel(target) if relabel else target

    return resampled_stream(data.shards, decode=decode, seed=seed, shuffle_buffer=shuffle_buffer, epoch=epoch,
                            batch_size=batch_size)
