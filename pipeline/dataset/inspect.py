"""What ``xpm dataset show / verify / diff`` compute, as plain functions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from apache_beam.io.filesystems import FileSystems

from pipeline.dataset.versions import DatasetVersion


def summary(version: DatasetVersion, top: int = 20) -> str:
    manifest = version.manifest
    counts, lineage = manifest["counts"], manifest["lineage"]
    nouns = sorted(version.vocab, key=lambda row: (-row["count"], row["word"]))
    lines = [
        f"{version.path}",
        f"  samples {counts['samples']} in {len(manifest['shards'])} shard(s); rejects {counts['rejects']}; "
        f"read {counts['samples_read']}; noun mentions {counts['nouns']}; vocabulary {counts['vocabulary']}",
        "  nouns by frequency: " + ", ".join(f"{row['word']} {row['count']}" for row in nouns[:top]),
        "  rejects by reason: " + (", ".join(f"{k} {v}" for k, v in counts["rejects_by_reason"].items()) or "none"),
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
    for entry in version.manifest["shards"]:
        path = version.shard_path(entry["name"])
        if not FileSystems.exists(path):
            return f"{path}: missing"
        digest, size = hashlib.sha256(), 0
        with FileSystems.open(path, compression_type="uncompressed") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
        if size != entry["bytes"] or digest.hexdigest() != entry["sha256"]:
            return f"{path}: sha256 {digest.hexdigest()[:12]} ({size} bytes), manifest says {entry['sha256'][:12]} ({entry['bytes']} bytes)"
    return None


def _flatten(value, prefix: str = "") -> dict:
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flatten(item, f"{prefix}{key}.").items()}
    return {prefix[:-1]: value}


@dataclass(frozen=True)
class VersionDiff:
    lineage: list[tuple[str, object, object]]
    nouns: list[tuple[str, int, int]]
    added: list[str]
    removed: list[str]


def diff_versions(a: DatasetVersion, b: DatasetVersion) -> VersionDiff:
    la, lb = _flatten({k: v for k, v in a.manifest["lineage"].items() if k != "inputs"}), _flatten(
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
