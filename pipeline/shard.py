"""``xpm shard``: captioned images as users hold them -> img2dataset webdataset shards with stable
keys and a sha256 per image, the pipeline's input. Also the first stage of pseudo-labeling for
those sources."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from pipeline.read.captioned_sources import SourceRow

HELP = "shard captioned images (Conceptual Captions TSV + image folder, or COCO captions) into webdataset shards"


@dataclass(frozen=True)
class ShardSummary:
    shards: int
    samples: int
    missing: int


def write_shards(rows: Iterable[SourceRow], out_dir: Path, shard_size: int) -> ShardSummary:
    """Rows in order, ``shard_size`` per shard; keys are (shard, index) so re-sharding the same
    rows gives the same keys. A row without its image is kept in the parquet as failed."""
    # Here, not at the top: the ``xpm`` parser imports this module for its source arguments.
    from PIL import Image

    from schemas.captioned_shard import sample_key
    from xpm.io.captioned_shards import CaptionedSample, FailedSample, write_captioned_shard

    if shard_size < 1:
        raise ValueError(f"shard size {shard_size}: at least 1.")
    shard, samples, failures, total, missing = 0, [], [], 0, 0

    def flush():
        nonlocal shard, samples, failures
        if samples or failures:
            write_captioned_shard(out_dir, shard, samples, failures)
            shard, samples, failures = shard + 1, [], []

    for row in rows:
        key = sample_key(shard, len(samples) + len(failures), shard_size)
        if row.image is None:
            failures.append(FailedSample(key, row.caption, row.url, row.error))
            missing += 1
        else:
            data = row.image.read_bytes()
            try:
                with Image.open(row.image) as image:
                    width, height = image.size
            except (OSError, ValueError):
                width = height = 0  # the pipeline's decode stage records why
            samples.append(CaptionedSample(key, data, row.caption, width, height, row.url))
        total += 1
        if len(samples) + len(failures) == shard_size:
            flush()
    flush()
    return ShardSummary(shards=shard, samples=total, missing=missing)


def add_source_arguments(parser) -> None:
    parser.add_argument("--tsv", help="Conceptual Captions TSV: caption<TAB>url, header optional")
    parser.add_argument("--images", help="image folder: img2dataset 'files' output (with --tsv) or COCO images (with --coco-captions)")
    parser.add_argument("--url-map", help="TSV url<TAB>path mapping each url to a local image (instead of --images)")
    parser.add_argument("--coco-captions", help="COCO captions JSON (captions_train2017.json)")
    parser.add_argument("--shard-size", type=int, default=1000, help="samples per shard (default 1000)")


def source_rows(args):
    """The rows of the source the arguments name, or None when they name none."""
    from pipeline.read.captioned_sources import coco_captions, conceptual_captions, images_by_url, read_url_map
    from xpm.config import ConfigError

    if args.tsv and args.coco_captions:
        raise ConfigError("give --tsv or --coco-captions, not both.")
    if args.tsv:
        if bool(args.images) == bool(args.url_map):
            raise ConfigError("with --tsv give the images as --images DIR (img2dataset files output) or --url-map FILE.")
        images = images_by_url(Path(args.images)) if args.images else read_url_map(Path(args.url_map))
        return conceptual_captions(Path(args.tsv), images)
    if args.coco_captions:
        if not args.images:
            raise ConfigError("with --coco-captions give the image folder as --images DIR.")
        return coco_captions(Path(args.coco_captions), Path(args.images))
    return None


def add_arguments(parser) -> None:
    parser.add_argument("--out", required=True, help="output folder for NNNNN.tar / .parquet / _stats.json")
    add_source_arguments(parser)


def run(args) -> int:
    from xpm.config import ConfigError

    out = Path(args.out)
    if out.exists() and any(out.glob("*.tar")):
        raise ConfigError(f"{out} already holds shards; choose an empty --out (nothing is overwritten).")
    rows = source_rows(args)
    if rows is None:
        raise ConfigError("name the source: --tsv FILE (Conceptual Captions) or --coco-captions FILE.")
    summary = write_shards(rows, out, args.shard_size)
    print(f"{out}: {summary.samples} rows in {summary.shards} shard(s); {summary.missing} without a local image (recorded as failed)")
    return 0
