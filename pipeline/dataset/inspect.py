"""What ``xpm dataset show / verify / diff`` compute, as plain functions."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Iterator

from apache_beam.io.filesystems import FileSystems

from pipeline.labeler import labeler_chain
from pipeline.read.shard_reader import read_shard
from xpm.io.records import RawSample
from schemas.pseudo_label import PseudoLabels
from xpm.io.dataset_version import DatasetVersion
from xpm.io.dataset_version import first_bad_shard as check_shards


def nouns_by_frequency(version: DatasetVersion) -> list[dict]:
    """Rows of ``vocab.parquet``, most frequent first (ties alphabetically)."""
    return sorted(version.vocab, key=lambda row: (-row["count"], row["word"]))


@dataclass(frozen=True)
class NeverLabelled:
    """A caption noun the version mentions and never labels: how often, and why not."""

    word: str
    mentions: int
    reasons: dict[str, int]

    def describe(self) -> str:
        return f"{self.word} {self.mentions} (" + ", ".join(f"{r} {n}" for r, n in self.reasons.items()) + ")"


def never_labelled(version: DatasetVersion) -> list[NeverLabelled]:
    """Caption nouns with mentions and no label, most mentioned first: a base class the rule
    never grounds shows here by name, not only in the per-reason totals."""
    labelled = {row["word"] for row in version.vocab}
    by_word = version.manifest["counts"].get("unlabeled_by_word")
    if by_word is None:  # a version written before reasons were kept per word
        mentions = Counter(word for row in version.index for word in row["unlabeled_nouns"])
        by_word = {word: {"reason not recorded": count} for word, count in mentions.items()}
    found = [NeverLabelled(word, sum(reasons.values()), reasons) for word, reasons in by_word.items() if word not in labelled]
    return sorted(found, key=lambda noun: (-noun.mentions, noun.word))


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
        "  caption nouns never labelled: " + ("; ".join(noun.describe() for noun in never_labelled(version)[:top]) or "none"),
        "  lineage:",
        *(f"    {'labelled by ' if i == 0 else '  '}{line}" for i, line in enumerate(labeler_chain(lineage))),
        f"    text model {lineage['text_model']['id']} ({lineage['text_model']['mode']}, {lineage['text_model']['hash'][:12]})",
        f"    WordNet {lineage['wordnet_version']}; vocabulary sha256 {lineage['vocabulary_sha256'][:12]}",
        f"    code {lineage['code_commit'][:12]}; Beam {lineage['beam_version']}; runner {lineage['runner']}",
        f"    inputs: {len(lineage['inputs'])} shard(s), {sum(i['bytes'] for i in lineage['inputs'])} bytes",
    ]
    derived = lineage.get("derived_from")
    if derived:
        verdicts = f"; verdicts {derived['verdicts']} (sha256 {derived['verdicts_sha256'][:12]})" if derived["verdicts"] else ""
        rules = ", ".join(f"{k}={v}" for k, v in derived["filter"].items() if v not in (None, []))
        lines.append(f"    derived from {derived['version']} (sha256 {derived['version_sha256'][:12]}) by {rules}{verdicts}")
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


# A label of one noun counts as moved when its box overlaps the other version's by less than this.
MOVED_BELOW_IOU = 0.5


@dataclass(frozen=True)
class NounLabelChange:
    word: str
    added: int
    removed: int
    moved: int


def pseudo_label_records(version: DatasetVersion) -> Iterator[tuple[str, PseudoLabels]]:
    """``(shard/key, record)`` of every sample, in shard order; images are not decoded."""
    for entry in version.manifest["shards"]:
        if not entry["samples"]:
            continue
        with FileSystems.open(version.shard_path(entry["name"]), compression_type="uncompressed") as stream:
            for item in read_shard(stream, entry["name"]):
                if isinstance(item, RawSample):
                    yield f"{entry['name']}/{item.key}", PseudoLabels.from_json(json.loads(item.parts["json"]))


def _box_iou(a, b) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def sample_label_changes(before: list[tuple[str, tuple]], after: list[tuple[str, tuple]]) -> tuple[Counter, Counter, Counter]:
    """One sample's ``(word, box)`` labels in two versions -> per word the labels added, removed
    and moved (a box of IoU < ``MOVED_BELOW_IOU`` with its best-overlapping counterpart)."""
    added, removed, moved = Counter(), Counter(), Counter()
    remaining: dict[str, list[tuple]] = {}
    for word, box in before:
        remaining.setdefault(word, []).append(box)
    for word, box in after:
        candidates = remaining.get(word)
        if not candidates:
            added[word] += 1
            continue
        best = max(candidates, key=lambda other: _box_iou(box, other))
        if _box_iou(box, best) < MOVED_BELOW_IOU:
            moved[word] += 1
        candidates.remove(best)
    removed.update({word: len(boxes) for word, boxes in remaining.items() if boxes})
    return added, removed, moved


def label_changes(a: DatasetVersion, b: DatasetVersion) -> list[NounLabelChange]:
    """Per noun, over the samples both versions hold: labels that ``b`` adds, removes or moves
    against ``a`` (:func:`sample_label_changes`). Most changed first."""
    old = dict(pseudo_label_records(a))
    added, removed, moved = Counter(), Counter(), Counter()
    for sample, labels in pseudo_label_records(b):
        if sample in old:
            pairs = [[(n.word, n.box_xyxy) for n in record.nouns] for record in (old[sample], labels)]
            for total, change in zip((added, removed, moved), sample_label_changes(*pairs)):
                total.update(change)
    rows = [NounLabelChange(w, added[w], removed[w], moved[w]) for w in added.keys() | removed.keys() | moved.keys()
            if added[w] or removed[w] or moved[w]]
    return sorted(rows, key=lambda r: (-(r.added + r.removed + r.moved), r.word))


# Edges of the teacher-score bins of ``score_distribution`` (the softmax probability the gallery shows).
SCORE_BINS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


@dataclass(frozen=True)
class ScoreDistribution:
    """The alignment evidence of a version's labels: kept labels by teacher-score bin, and the
    Eq. 2 score (logit) quantiles of kept labels and of nouns the rule left unlabeled."""

    kept_by_score_bin: list[int]
    kept_logits: list[float]
    unlabeled_logits: list[float]

    def quantiles(self, which: str, qs=(0.0, 0.1, 0.5, 0.9, 1.0)) -> list[float] | None:
        values = sorted(getattr(self, f"{which}_logits"))
        if not values:
            return None
        return [values[min(len(values) - 1, int(q * len(values)))] for q in qs]


def score_distribution(version: DatasetVersion) -> ScoreDistribution:
    bins = [0] * (len(SCORE_BINS) - 1)
    kept, unlabeled = [], []
    for _, record in pseudo_label_records(version):
        for noun in record.nouns:
            bins[min(len(bins) - 1, int(noun.score * (len(bins))))] += 1
            kept.append(noun.logit)
        unlabeled += [noun.logit for noun in record.unlabeled]
    return ScoreDistribution(bins, kept, unlabeled)
