"""Who labels a version: a teacher or a student checkpoint (both are detector checkpoints, so
either can run the pseudo-labelling job), recorded in the lineage with the chain of versions and
labelers behind a student."""

from __future__ import annotations

from schemas.dataset_version import labeler_of
from xpm.config import ConfigError
from xpm.io.dataset_version import open_version
from xpm.modeling.checkpoint import DetectorCheckpoint


def labeler_kind(checkpoint: DetectorCheckpoint) -> str:
    # The trainer's saved config tells them apart: only a student trains on a dataset version.
    config = checkpoint.training.get("config", {})
    if config.get("data"):
        return "student"
    return "oracle" if config.get("oracle") else "teacher"


def labeler_lineage(checkpoint: DetectorCheckpoint, path: str, sha256: str) -> dict:
    config = checkpoint.training.get("config", {})
    entry = {"kind": labeler_kind(checkpoint), "path": path, "sha256": sha256, "step": checkpoint.training.get("step")}
    max_steps = config.get("optim", {}).get("max_steps")
    if max_steps is not None:
        entry["max_steps"] = max_steps
    if entry["kind"] == "student":
        entry["trained_on"] = _trained_on(config["data"])
    return entry


def _trained_on(version_path: str) -> dict:
    try:
        version = open_version(version_path)
        return {"version": version.path, "version_sha256": version.sha256, "labeler": labeler_of(version.manifest["lineage"])}
    except (ConfigError, OSError):
        # The student's training data moved or is on a machine this job cannot read: the chain
        # stops here, and says so, rather than the labelling failing.
        return {"version": version_path, "found": False}


def labeler_chain(lineage: dict) -> list[str]:
    """One line per link, newest first: the labeler, then the version it was trained on and its
    labeler, back to a teacher (or to where the record ends)."""
    lines, labeler = [], labeler_of(lineage)
    while True:
        lines.append(f"{labeler['kind']} {labeler['path']} (sha256 {labeler['sha256'][:12]}{_steps(labeler)})")
        trained_on = labeler.get("trained_on")
        if not trained_on:
            return lines
        if not trained_on.get("version_sha256"):
            lines.append(f"trained on {trained_on['version']} (not readable when this version was labelled: the chain ends)")
            return lines
        lines.append(f"trained on {trained_on['version']} (sha256 {trained_on['version_sha256'][:12]}), labelled by")
        labeler = trained_on["labeler"]


def _steps(labeler: dict) -> str:
    if labeler.get("step") is None:
        return ""
    return f", step {labeler['step']}" + (f" of {labeler['max_steps']}" if labeler.get("max_steps") else "")
