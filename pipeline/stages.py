"""The stages of the pseudo-labeling job as Beam DoFns: thin wrappers over the pure functions of
``read``, ``decode``, ``nouns``, ``pseudo_labels`` and ``write``. Rejects leave every stage on
the ``rejects`` output, keyed by input shard."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import apache_beam as beam
import numpy as np
from apache_beam.io.filesystems import FileSystems

from xpm.io.decode import DecodeLimits, decode_sample
from pipeline.inference.teacher_handler import AlignedNoun, AlignRequest
from xpm.text.word_embeddings import WordEmbeddings
from xpm.io.shard_inputs import shard_name_of
from xpm.nouns import CaptionNoun, NounConfig, NounExtractor, load_lexicon
from pipeline.pseudo_labels import build_pseudo_labels, lexicon_vocab_ids
from pipeline.read.shard_reader import read_shard
from xpm.io.records import Reject
from pipeline.finalize import part_path, shard_path
from pipeline.write.filesystem import write_bytes
from pipeline.write.shard_writer import LabelledSample, canonical_json, write_output_shard
from xpm.io.parquet import read_parquet_rows

REJECTS = "rejects"
INPUTS = "inputs"


class _HashingReader:
    """Hashes a stream while tarfile reads it, so an input's sha256 costs no second pass."""

    def __init__(self, stream):
        self._stream, self.digest, self.size = stream, hashlib.sha256(), 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data

    def drain(self) -> None:
        while self.read(1 << 20):
            pass


class ReadShard(beam.DoFn):
    def process(self, path: str):
        shard = shard_name_of(path)
        read = 0
        with FileSystems.open(path, compression_type="uncompressed") as stream:
            hashing = _HashingReader(stream)
            for item in read_shard(hashing, shard):
                read += 1
                if isinstance(item, Reject):
                    yield beam.pvalue.TaggedOutput(REJECTS, (shard, item))
                else:
                    yield item
            hashing.drain()
        for reject in source_failures(path, shard):
            read += 1
            yield beam.pvalue.TaggedOutput(REJECTS, (shard, reject))
        info = {"path": path, "sha256": hashing.digest.hexdigest(), "bytes": hashing.size, "samples_read": read}
        yield beam.pvalue.TaggedOutput(INPUTS, (shard, info))


def source_failures(path: str, shard: str) -> list[Reject]:
    """Rows img2dataset (or ``xpm shard``) recorded as failed in the shard's parquet: samples
    the source had but whose image never reached the tar. They count as read, and as rejects."""
    parquet = path[: -len(".tar")] + ".parquet" if path.endswith(".tar") else None
    if parquet is None or not FileSystems.exists(parquet):
        return []
    with FileSystems.open(parquet, compression_type="uncompressed") as stream:
        rows = read_parquet_rows(stream.read(), columns=["key", "status", "error_message"])
    return [
        Reject(row["key"], shard, "source", row["status"] or "failed", row["error_message"] or "")
        for row in rows
        if row["status"] != "success"
    ]


class Decode(beam.DoFn):
    def __init__(self, limits: DecodeLimits):
        self._limits = limits

    def process(self, sample):
        result = decode_sample(sample, self._limits)
        if isinstance(result, Reject):
            yield beam.pvalue.TaggedOutput(REJECTS, (result.input_shard, result))
        else:
            yield result


@dataclass(frozen=True)
class SampleInfo:
    """What travels beside an image through RunInference (its key) to build the output."""

    key: str
    input_shard: str
    image_bytes: bytes = field(repr=False)
    image_ext: str
    caption: str
    width: int
    height: int
    nouns: tuple[CaptionNoun, ...]


class ExtractNouns(beam.DoFn):
    """Caption nouns (paper 3.2.2) and their word embeddings; a caption without object nouns is
    a reject: it has nothing to align."""

    def __init__(self, text_model: str, text_mode: str, text_hash: str, nouns: NounConfig,
                 thresholds: dict[str, float] | None = None):
        self._text = (text_model, text_mode, text_hash)
        self._nouns = nouns
        self._thresholds = thresholds

    def setup(self):
        from xpm.text.embedder import TextEmbedder

        self._extract = NounExtractor(load_lexicon(self._nouns))
        embedder = TextEmbedder(self._text[0], mode=self._text[1])
        if embedder.model_hash != self._text[2]:
            raise RuntimeError(f"text model {self._text[0]!r} on this worker differs from the teacher's (hash mismatch).")
        self._embed = WordEmbeddings(embedder)

    def process(self, sample):
        result = self._extract(sample.caption)
        if not result.nouns:
            yield beam.pvalue.TaggedOutput(REJECTS, (sample.input_shard, Reject(
                sample.key, sample.input_shard, "nouns", "no_nouns", result.reason or "")))
            return
        height, width = sample.pixels.shape[:2]
        info = SampleInfo(sample.key, sample.input_shard, sample.image_bytes, sample.image_ext, sample.caption,
                          width, height, tuple(result.nouns))
        embeddings = self._embed([noun.lemma for noun in result.nouns]).astype(np.float32)
        thresholds = None if self._thresholds is None else np.array(
            [self._thresholds.get(noun.lemma, -np.inf) for noun in result.nouns], dtype=np.float32)
        yield info, AlignRequest(sample.key, sample.pixels, embeddings, thresholds)


class ToLabelledSample(beam.DoFn):
    def __init__(self, teacher_sha256: str, nouns: NounConfig):
        self._teacher = teacher_sha256
        self._nouns = nouns

    def setup(self):
        self._vocab_ids = lexicon_vocab_ids(load_lexicon(self._nouns))

    def process(self, element: tuple[SampleInfo, list[AlignedNoun]]):
        info, aligned = element
        labels = build_pseudo_labels(info.key, info.width, info.height, info.nouns, aligned, self._vocab_ids, self._teacher)
        yield info.input_shard, LabelledSample(info.key, info.image_bytes, info.image_ext, info.caption, labels)


class WriteShard(beam.DoFn):
    def __init__(self, staging: str):
        self._staging = staging

    def process(self, element):
        shard, grouped = element
        samples = list(grouped["samples"])
        rejects = sorted(grouped["rejects"], key=lambda r: r.key)
        (info,) = grouped["inputs"]
        entry = write_output_shard(shard_path(self._staging, shard), f"{shard}.tar", samples)
        index = [
            {"key": s.key, "shard": f"{shard}.tar", "input_shard": shard, "width": s.labels.width,
             "height": s.labels.height, "caption": s.caption, "nouns": [n.word for n in s.labels.nouns],
             "synsets": [n.synset for n in s.labels.nouns], "unlabeled_nouns": [n.word for n in s.labels.unlabeled],
             "unlabeled_reasons": [n.reason for n in s.labels.unlabeled],
             "image_sha256": hashlib.sha256(s.image_bytes).hexdigest()}
            for s in sorted(samples, key=lambda s: s.key)
        ]
        record = {
            "entry": entry.to_json(),
            "input": info,
            "rejects": [{"key": r.key, "input_shard": r.input_shard, "stage": r.stage, "reason": r.reason, "detail": r.detail} for r in rejects],
            "index": index,
        }
        write_bytes(part_path(self._staging, shard), canonical_json(record))
        yield shard
