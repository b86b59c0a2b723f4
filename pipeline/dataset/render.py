"""Pictures of a dataset version's samples: the image with each noun's pseudo box and mask in its
own colour and the teacher's score (``xpm dataset show --samples N --out DIR``, and the gallery
of the HTML report).

Shards are read with the pipeline's safe tar reader and samples decoded as the student's loader
decodes them (``decode_pseudo_sample``), so what is shown is what training sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Collection, Iterator

import numpy as np
from apache_beam.io.filesystems import FileSystems
from PIL import Image

from xpm.io.dataset_version import DatasetVersion
from pipeline.read.shard_reader import read_shard
from xpm.io.records import Reject
from schemas.pseudo_label import SchemaError
from xpm.config import ConfigError
from xpm.io.files import save_png
from xpm.io.pseudo_label_samples import decode_pseudo_sample
from xpm.visualize import contact_sheet, draw_instances
from xpm.progress import Progress

# The synthetic world's images are 64-128 px: enlarged so that tags stay legible.
DISPLAY_SIZE = 384
CONTACT_SHEET = "contact_sheet.png"


@dataclass(frozen=True)
class VersionSample:
    key: str
    shard: str
    caption: str
    image: Image.Image
    words: tuple[str, ...]
    boxes: np.ndarray
    masks: np.ndarray
    scores: np.ndarray


def read_samples(version: DatasetVersion, limit: int, keys: Collection[str] | None = None) -> Iterator[VersionSample]:
    """The first ``limit`` samples in shard order (reading no more of the version than that);
    with ``keys``, only those samples (the others are skipped undecoded)."""
    vocab = version.vocab
    vocab_rows = {row["vocab_id"]: number for number, row in enumerate(vocab)}
    words = [row["word"] for row in vocab]
    served = 0
    for entry in version.manifest["shards"]:
        if served >= limit:
            return
        if not entry["samples"]:
            continue
        path = version.shard_path(entry["name"])
        with FileSystems.open(path, compression_type="uncompressed") as stream:
            for item in read_shard(stream, entry["name"]):
                if keys is not None and item.key not in keys:
                    continue
                if isinstance(item, Reject):
                    raise ConfigError(f"{path}: sample {item.key} cannot be read ({item.reason}: {item.detail}); "
                                      f"check the version with `xpm dataset verify {version.path}`.")
                try:
                    pixels, target = decode_pseudo_sample({"__key__": item.key, **item.parts}, vocab_rows)
                except (ValueError, KeyError, OSError, SchemaError) as error:
                    raise ConfigError(f"{path}: sample {item.key} does not decode ({error}); "
                                      f"check the version with `xpm dataset verify {version.path}`.") from None
                yield VersionSample(
                    key=item.key,
                    shard=entry["name"],
                    caption=item.parts.get("txt", b"").decode("utf-8", errors="replace"),
                    image=Image.fromarray(pixels.mul(255).round().byte().permute(1, 2, 0).numpy()),
                    words=tuple(words[row] for row in target["vocab_index"].tolist()),
                    boxes=target["boxes"].numpy(),
                    masks=target["masks"].numpy().astype(bool),
                    scores=target["teacher_scores"].numpy(),
                )
                served += 1
                if served >= limit:
                    return


def render_sample(sample: VersionSample, display_size: int = DISPLAY_SIZE) -> Image.Image:
    return draw_instances(sample.image, sample.boxes, sample.masks, list(sample.words), sample.scores,
                          display_size=display_size)


def sample_file_name(sample: VersionSample) -> str:
    # Keys may hold a folder ("part/000001"); one flat folder of pictures is easier to browse.
    return f"{sample.key.replace('/', '_')}.png"


def write_sample_pictures(version: DatasetVersion, out_dir: Path, count: int) -> list[tuple[VersionSample, Path]]:
    """One PNG per sample and ``contact_sheet.png`` of them all, in ``out_dir``; the samples
    with their picture paths, in shard order."""
    if count < 1:
        raise ConfigError(f"--samples {count}: render at least 1 sample.")
    written, pictures = [], []
    progress = Progress("render", "samples", total=min(count, version.manifest["counts"]["samples"]))
    for sample in read_samples(version, count):
        picture = render_sample(sample)
        path = out_dir / sample_file_name(sample)
        save_png(picture, path)
        written.append((sample, path))
        pictures.append(picture)
        progress.update(1)
    if not written:
        raise ConfigError(f"{version.path} holds no samples to render.")
    captions = [f"{s.key}: " + ", ".join(f"{w} {score:.2f}" for w, score in zip(s.words, s.scores)) for s, _ in written]
    save_png(contact_sheet(pictures, captions), out_dir / CONTACT_SHEET)
    return written
