"""What ``xpm dataset show / verify / diff`` compute, as plain functions."""

from __future__ import annotations

from dataclasses import dataclass

from apache_beam.io.filesystems import FileSystems

from pipeline.dataset.versions import DatasetVersion
from xpm.io.dataset_version import first_bad_shard as check_shards


def nouns_by_frequency(version: DatasetVersion) -> list[dict]:
    """Rows of ``vocab.parquet``, most frequent first (ties alphabetically)."""
    return sorted(version.vocab, key=lambda row: (-row["count"], row["word"]))


def summary(version: DatasetVersion, top: int = 20) -> str:
    manifest = version.manifest
    counts, lineage = manifest["counts"], manifest["lineage"]
    nouns = nouns_by_frequency(version)
    lines = [
        f"{version.path}",
        f"  samples {counts['samples']} in {len(manifest['shards'])} shard(s); rejects {counts['rejects']}; "
        f"read {counts['samples_read']}; noun mentions {counts['nouns']}; vocabulary {counts['vocabulary']}",
        "  nouns by frequency: " + ", ".join(f"{row['word']} {row['count']}" for row in nouns[:top]),
        "  rejects by reason: " + (", ".join(f"{k} {v}" for k, v in counts["rejects_by_reason"].items()) or "none"),
        f"  caption nouns left unlabeled by the alignment rule ({lineage['config']['alignment']}): "
        + (", ".join(f"{k} {v}" for k, v in counts.get("unlabeled_by_reason", {}).items()) or "none"),
        "  lineage:",
        f"    teacher {lineage['teacher']} (sha256 {lineage['teacher_sha256'][:12]})",
        f"    text model {lineage['text_model']['id']} ({lineage['text_model']['mode']}, {lineage['text_model']['hash'][:12]})",
        f"    WordNet {lineage['wordnet_version']}; vocabulary sha256 {lineage['vocabulary_sha256'][:12]}",
        f"    code {lineage['code_commit'][:12]}; Beam {lineage['beam_version']}; runner {lineage['runner']}",
        f"    inputs: {len(lineage['inputs'])} shard(s), {sum(i['bytes'] for i in lineage['inputs'])} bytes",
    ]
    return "\n".join(lines)


def first_bad_shard(version: DatasetVersion) -> str | None:
    """Re-hash every shard against the manifest; the first that is missing or differs, described."""
    problem = check_shards(
        version.manifest["shards"],
        lambda name: FileSystems.open(version.shard_path(name), compression_type="uncompressed"),
        lambda name: FileSystems.exists(version.shard_path(name)),
    )
    return None if problem is None else f"{version.shard_path('')}{problem}"


def flatten(value, prefix: str = "") -> dict:
    """Nested mappings as one mapping of dotted keys (``{"a": {"b": 1}}`` -> ``{"a.b": 1}``)."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in flatten(item, f"{prefix}{key}.").items()}
    return {prefix[:-1]: value}


@dataclass(frozen=True)
class VersionDiff:
    lineage: list[tuple[str, object, object]]
    nouns: list[tuple[str, int, int]]
    added: list[str]
    removed: list[str]


def diff_versions(a: DatasetVersion, b: DatasetVersion) -> VersionDiff:
    la, lb = flatten({k: v for k, v in a.manifest["lineage"].items() if k != "inputs"}), flatten(
        {k: v for k, v in b.manifest["lineage"].items() if k != "inputs"})
    la["inputs"] = sorted((i["shard"], i["sha256"]) for i in a.manifest["lineage"]["inputs"])
    lb["inputs"] = sorted((i["shard"], i["sha256"]) for i in b.manifest["lineage"]["inputs"])
    lineage = [(k, la.get(k), lb.get(k)) for k in sorted(set(la) | set(lb)) if la.get(k) != lb.get(k)]
    ca = {row["word"]: row["count"] for row in a.vocab}
    cb = {row["word"]: row["count"] for row in b.vocab}
    nouns = [(w, ca.get(w, 0), cb.get(w, 0)) for w in sorted(set(ca) | set(cb)) if ca.get(w, 0) != cb.get(w, 0)]
    ka = {f"{row['shard']}/{row['key']}" for row in a.index}
    kb = {f"{row['shard']}/{row['key']}" for row in b.index}
    return VersionDiff(lineage, nouns, sorted(kb - ka), sorted(ka - kb))
