"""``xpm dataset derive``: a new version of the same dataset holding the labels of a version that
pass a filter: nouns dropped by name, nouns whose reviewed precision is confidently below a bar,
labels below a teacher score.

A dropped label is not deleted from its sample: it moves to the record's ``unlabeled`` list with
the filter as its reason, as a noun the alignment rule gave no region is, so the derived version
keeps every sample, reject and count of its source. It is written as ``xpm pseudo-label`` writes
a version: each shard and its record by the job's last stage (``WriteShard``), then
``finalize_version`` and the rename of ``commit_version``; the shards are re-hashed against the manifest before the rename.
A shard none of whose labels is dropped comes out byte for byte the source's (the writer's
output depends on nothing but the samples), which the result counts.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

import numpy as np
from apache_beam.io.filesystems import FileSystems

from pipeline.dataset.inspect import first_bad_shard
from pipeline.dataset.review import check_nouns, labels_by_noun, version_name
from pipeline.dataset.score import load_review, score_review
from pipeline.finalize import finalize_version
from pipeline.job import code_commit
from pipeline.read.shard_reader import read_shard
from pipeline.version import commit_version, run_identity, staging_dir
from pipeline.stages import WriteShard
from pipeline.write.shard_writer import LabelledSample
from schemas.captioned_shard import IMAGE_EXTENSIONS
from schemas.pseudo_label import PseudoLabels, UnlabeledNoun
from xpm.config import ConfigError
from xpm.io.dataset_version import DatasetVersion
from xpm.io.hashing import file_sha256
from xpm.io.records import Reject

# The reasons a derived version gives the labels it moved to ``unlabeled``.
DROPPED_NOUN = "derive_dropped_noun"
BELOW_PRECISION = "derive_below_min_precision"
BELOW_SCORE = "derive_below_min_score"


@dataclass(frozen=True)
class LabelFilter:
    drop_nouns: tuple[str, ...] = ()
    min_precision: float | None = None
    verdicts: str | None = None
    min_score: float | None = None

    def __post_init__(self) -> None:
        if not self.drop_nouns and self.min_precision is None and self.min_score is None:
            raise ConfigError("derive needs a filter: --drop-nouns a,b, --min-precision P --verdicts FILE, or --min-score S.")
        if (self.min_precision is None) != (self.verdicts is None):
            raise ConfigError("--min-precision P and --verdicts FILE go together (the precision comes from the review).")
        if self.min_precision is not None and not 0 < self.min_precision <= 1:
            raise ConfigError(f"--min-precision {self.min_precision}: a precision in (0, 1].")
        if self.min_score is not None and not 0 < self.min_score <= 1:
            raise ConfigError(f"--min-score {self.min_score}: a teacher score in (0, 1].")


@dataclass(frozen=True)
class DerivedVersion:
    path: str
    manifest: dict
    dropped: dict[str, int]  # labels moved to unlabeled, by reason
    unchanged_shards: int  # byte for byte the source's


def nouns_to_drop(version: DatasetVersion, label_filter: LabelFilter) -> dict[str, str]:
    """Noun -> the reason it is dropped: named, or its reviewed precision's 95% upper bound is
    below ``min_precision`` (a noun the review did not answer is kept: nothing speaks against it)."""
    drop = {}
    if label_filter.min_precision is not None:
        review = load_review(version, label_filter.verdicts)
        drop.update({word: BELOW_PRECISION for word in score_review(version, review, label_filter.min_precision).below})
    drop.update({word: DROPPED_NOUN for word in label_filter.drop_nouns})
    return drop


def _filtered(labels: PseudoLabels, drop: dict[str, str], min_score: float | None) -> tuple[PseudoLabels, list[str]]:
    kept, moved, reasons = [], [], []
    for noun in labels.nouns:
        reason = drop.get(noun.word) or (BELOW_SCORE if min_score is not None and noun.score < min_score else None)
        if reason is None:
            kept.append(noun)
        else:
            moved.append(UnlabeledNoun(noun.word, noun.synset, noun.vocab_id, reason, noun.logit))
            reasons.append(reason)
    if not moved:
        return labels, []
    return PseudoLabels(labels.key, labels.width, labels.height, labels.teacher_sha256, tuple(kept),
                        labels.unlabeled + tuple(moved)), reasons


def _derive_shard(version: DatasetVersion, entry: dict, source_input: dict, rejects: list[dict], staging: str,
                  drop: dict[str, str], min_score: float | None) -> list[str]:
    """Write one shard and its record into ``staging`` as the pipeline's last stage does; the
    reasons of the labels it dropped."""
    shard = entry["name"][: -len(".tar")]
    path = version.shard_path(entry["name"])
    samples, reasons = [], []
    with FileSystems.open(path, compression_type="uncompressed") as stream:
        for item in read_shard(stream, shard):
            if isinstance(item, Reject):
                raise ConfigError(f"{path}: sample {item.key} cannot be read ({item.reason}); "
                                  f"check the version with `xpm dataset verify {version.path}`.")
            labels, dropped = _filtered(PseudoLabels.from_json(json.loads(item.parts["json"])), drop, min_score)
            image_ext = next(ext for ext in IMAGE_EXTENSIONS if ext in item.parts)
            samples.append(LabelledSample(item.key, item.parts[image_ext], image_ext,
                                          item.parts["txt"].decode("utf-8"), labels))
            reasons += dropped
    source = {"path": path, "sha256": entry["sha256"], "bytes": entry["bytes"], "samples_read": source_input["samples_read"]}
    kept_rejects = [Reject(r["key"], r["input_shard"], r["stage"], r["reason"], r["detail"]) for r in rejects]
    for _ in WriteShard(staging).process((shard, {"samples": samples, "rejects": kept_rejects, "inputs": [source]})):
        pass
    return reasons


def derive_version(version: DatasetVersion, label_filter: LabelFilter, dataset_dir: str | None = None) -> DerivedVersion:
    """The filtered version, committed as the next ``vN`` of ``dataset_dir`` (default: the
    source's own dataset)."""
    check_nouns(label_filter.drop_nouns, labels_by_noun(version), "--drop-nouns")
    drop = nouns_to_drop(version, label_filter)
    if not drop and label_filter.min_score is None:
        raise ConfigError(f"--min-precision {label_filter.min_precision}: no reviewed noun of {version_name(version)} has "
                          "its 95% upper bound below it, so nothing would be dropped and no version was written.")
    manifest, source_sha = version.manifest, version.sha256
    derived_from = {
        "version": version.path,
        "version_sha256": source_sha,
        "filter": {"drop_nouns": list(label_filter.drop_nouns), "min_precision": label_filter.min_precision, "min_score": label_filter.min_score},
        "verdicts": label_filter.verdicts,
        "verdicts_sha256": file_sha256(label_filter.verdicts) if label_filter.verdicts else None,
    }
    dataset_dir = dataset_dir or version.path.rstrip("/").rsplit("/", 1)[0]
    staging = staging_dir(dataset_dir, run_identity({k: v for k, v in derived_from.items() if k != "verdicts"}))
    if FileSystems.exists(staging):
        # A derive that was killed part-way; the source is immutable, so starting over is exact.
        FileSystems.delete([staging])
    inputs = {item["shard"]: item for item in manifest["lineage"]["inputs"]}
    rejects_by_shard: dict[str, list[dict]] = {}
    for row in version.rejects:
        rejects_by_shard.setdefault(row["input_shard"], []).append(row)
    dropped, shards = Counter(), []
    for entry in manifest["shards"]:
        shard = entry["name"][: -len(".tar")]
        dropped.update(_derive_shard(version, entry, inputs[shard], rejects_by_shard.get(shard, []), staging, drop,
                                     label_filter.min_score))
        shards.append(shard)
    if not dropped:
        FileSystems.delete([staging])
        raise ConfigError(f"no label of {version_name(version)} is below --min-score {label_filter.min_score}, "
                          "so no version was written.")
    vocab = {row["word"]: row for row in version.vocab}
    lineage = {key: value for key, value in manifest["lineage"].items() if key not in ("inputs", "vocabulary_sha256")}
    lineage.update(code_commit=code_commit(), derived_from=derived_from)
    derived = finalize_version(staging, shards, lineage,
                               lambda words: np.array([vocab[word]["embedding"] for word in words], dtype=np.float32),
                               {word: row["vocab_id"] for word, row in vocab.items()})
    problem = first_bad_shard(DatasetVersion(staging))
    if problem:
        raise RuntimeError(f"the derived version does not match its own manifest ({problem}); the staging folder "
                           f"{staging} is kept for inspection.")
    unchanged = sum(a["sha256"] == b["sha256"] for a, b in zip(manifest["shards"], derived["shards"]))
    return DerivedVersion(commit_version(staging, dataset_dir), derived, dict(dropped), unchanged)
