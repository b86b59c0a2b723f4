"""``xpm dataset reproduce``: build a version again from its lineage alone and compare every shard's
sha256 with the manifest's.

A pseudo-label version is rebuilt by the pipeline from the input shards and the labeler (the
teacher checkpoint) the lineage names, with the settings it recorded; a derived version by
``derive`` from its source version and verdict file. Each recorded file is hashed first: one that
is missing or whose bytes changed is the first difference, and nothing is rebuilt from it. The
code commit is compared and reported, not required. A shard that differs is named with what may
explain it: a changed code commit, another Beam version, and what the lineage does not record
(the device and thread count the teacher ran with, which change float sums in the last digit).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from pipeline.config import PseudoLabelConfig
from pipeline.dataset.derive import LabelFilter, derive_version
from pipeline.dataset.inspect import first_bad_shard
from pipeline.job import code_commit, run_pseudo_label
from schemas.dataset_version import MANIFEST_FILE
from xpm.config import ConfigError, from_dict
from xpm.io.dataset_version import DatasetVersion, open_version

_BLOCK = 1 << 20
UNRECORDED = ("the device and thread count the teacher ran with (not in the lineage; float sums in another order "
              "change scores in the last digit)")


@dataclass(frozen=True)
class Reproduction:
    rebuilt: str | None  # the rebuilt version; None when a recorded input stopped the rebuild
    difference: str | None  # the first file that differs, and why it may; None: identical
    notes: list[str]


@dataclass(frozen=True)
class Environment:
    notes: list[str]  # what was compared, for the report
    suspects: list[str]  # recorded differences that can change bytes


def _sha256(path: str) -> str:
    # Through Beam's FileSystems, as the job read them: recorded inputs may be on gs:// or s3://.
    digest = hashlib.sha256()
    with FileSystems.open(path, compression_type="uncompressed") as stream:
        for block in iter(lambda: stream.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def _recorded_file(role: str, path: str | None, sha256: str | None) -> str | None:
    """Why the file the lineage recorded cannot serve the rebuild; None when it is there, unchanged."""
    if not path or not FileSystems.exists(path):
        return f"{role} {path}: missing (the lineage records it with sha256 {str(sha256)[:12]})"
    found = _sha256(path)
    if found != sha256:
        return (f"{role} {path}: sha256 {found[:12]}, the lineage records {str(sha256)[:12]}; "
                "a rebuild from this file would not be the version")
    return None


def _environment(lineage: dict) -> Environment:
    import torch

    commit, suspects = code_commit(), []
    notes = [f"code commit: built at {lineage['code_commit'][:12]}, now {commit[:12]}"]
    if commit != lineage["code_commit"]:
        suspects.append(f"the code ({lineage['code_commit'][:12]} then, {commit[:12]} now)")
    if lineage.get("beam_version") != beam.__version__:
        suspects.append(f"Beam {lineage.get('beam_version')} then, {beam.__version__} now")
    notes.append(f"rebuilding with {torch.get_num_threads()} torch thread(s), CUDA "
                 f"{'available' if torch.cuda.is_available() else 'not available'}")
    return Environment(notes, suspects)


def _first_shard_difference(original: DatasetVersion, rebuilt: DatasetVersion, suspects: list[str]) -> str | None:
    made = {entry["name"]: entry for entry in rebuilt.manifest["shards"]}
    for entry in original.manifest["shards"]:
        other = made.get(entry["name"])
        if other is None:
            return f"shards/{entry['name']}: not written by the rebuild"
        if other["sha256"] != entry["sha256"]:
            return (f"shards/{entry['name']}: sha256 {other['sha256'][:12]} ({other['bytes']} bytes, {other['samples']} samples), "
                    f"the version has {entry['sha256'][:12]} ({entry['bytes']} bytes, {entry['samples']} samples); "
                    f"it may differ by: {'; '.join(suspects) or 'nothing the lineage records differs'}")
    extra = sorted(set(made) - {entry["name"] for entry in original.manifest["shards"]})
    return f"shards/{extra[0]}: written by the rebuild, not in the version" if extra else None


def _rebuild_labelled(version: DatasetVersion, out_dir: Path) -> tuple[str | None, str | None]:
    lineage = version.manifest["lineage"]
    for item in lineage["inputs"]:
        problem = _recorded_file(f"input {item['shard']}", item["path"], item["sha256"])
        if problem:
            return None, problem
    problem = _recorded_file("labeler (teacher)", lineage.get("teacher"), lineage.get("teacher_sha256"))
    if problem:
        return None, problem
    config = from_dict(PseudoLabelConfig, lineage["config"], where=f"{version.path}'s lineage config")
    # The recorded shards themselves, not the pattern, which may match other files by now.
    config = replace(config, input=",".join(item["path"] for item in lineage["inputs"]), output=str(out_dir))
    return run_pseudo_label(config).version_dir, None


def _rebuild_derived(version: DatasetVersion, out_dir: Path) -> tuple[str | None, str | None]:
    derived = version.manifest["lineage"]["derived_from"]
    source_path = derived["version"]
    if not FileSystems.exists(FileSystems.join(source_path, MANIFEST_FILE)):
        return None, f"source version {source_path}: missing"
    source = open_version(source_path)
    found = source.sha256
    if found != derived["version_sha256"]:
        return None, f"source version {source_path}: manifest sha256 {found[:12]}, the lineage records {derived['version_sha256'][:12]}"
    bad = first_bad_shard(source)
    if bad:
        return None, f"source version shard {bad}"
    if derived["verdicts"]:
        problem = _recorded_file("verdict file", derived["verdicts"], derived["verdicts_sha256"])
        if problem:
            return None, problem
    rules = derived["filter"]
    label_filter = LabelFilter(tuple(rules["drop_nouns"]), rules["min_precision"], derived["verdicts"], rules["min_score"])
    name = version.path.rstrip("/").split("/")[-2]
    return derive_version(source, label_filter, dataset_dir=str(out_dir / name)).path, None


def reproduce_version(version: DatasetVersion, out_dir: Path) -> Reproduction:
    """Rebuild ``version`` into ``out_dir/NAME/vK`` and compare."""
    lineage = version.manifest["lineage"]
    dataset_dir = version.path.rstrip("/").rsplit("/", 1)[0]
    if "://" not in dataset_dir and (out_dir / dataset_dir.rsplit("/", 1)[-1]).resolve() == Path(dataset_dir).resolve():
        raise ConfigError(f"--out {out_dir}: the rebuild would become the next version of the dataset it is compared "
                          "with; give a folder of its own.")
    if "config" not in lineage or "inputs" not in lineage:
        raise ConfigError(f"{version.path}: its lineage names no inputs or settings to rebuild from.")
    environment = _environment(lineage)
    derived = "derived_from" in lineage
    rebuilt, problem = (_rebuild_derived if derived else _rebuild_labelled)(version, out_dir)
    if problem:
        return Reproduction(None, problem, environment.notes)
    # derive runs no model: only the code can make its bytes differ.
    suspects = environment.suspects if derived else [*environment.suspects, UNRECORDED]
    difference = _first_shard_difference(version, open_version(rebuilt), suspects)
    return Reproduction(rebuilt, difference, environment.notes)
