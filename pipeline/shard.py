"""``xpm shard``: captioned images as users hold them -> img2dataset webdataset shards with stable
keys and a sha256 per image, the pipeline's input. Also the first stage of pseudo-labeling for
those sources."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from pipeline.read.captioned_sources import BadRow, SourceRow
from xpm.arguments import existing_file, existing_folder

HELP = "shard captioned images (Conceptual Captions TSV + image folder, or COCO captions) into webdataset shards"


@dataclass(frozen=True)
class ShardSummary:
    shards: int
    samples: int
    missing: int
    bad_rows: int = 0
    missing_by_reason: dict[str, int] = field(default_factory=dict)


BAD_ROWS_FILE = "bad_rows.jsonl"
SUMMARY_FILE = "_SHARDED"


IMAGE_TOO_LARGE = "image too large to decode"
# Member extension by the format PIL finds in the bytes; any other format keeps the default one
# (the pipeline decodes by content, and records an image it cannot read).
EXTENSION_OF_FORMAT = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def _probe(data: bytes) -> tuple[int, int, str] | str:
    """An image's width, height and member extension from its header, without decoding its
    pixels; or why it is refused: a decompression bomb (a few bytes claiming gigapixels) is a
    failed row, never an error that stops the job."""
    import io
    import warnings

    from PIL import Image

    from schemas.captioned_shard import IMAGE_EXT

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return (*image.size, EXTENSION_OF_FORMAT.get(image.format, IMAGE_EXT))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return IMAGE_TOO_LARGE
    except (OSError, ValueError, SyntaxError):
        return 0, 0, IMAGE_EXT  # the pipeline's decode stage records why


def staging_dir(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.partial"


def write_shards(rows: Iterable[SourceRow | BadRow], out_dir: Path, shard_size: int, *, quiet: bool = False) -> ShardSummary:
    """Rows in order, ``shard_size`` per shard; keys are (shard, index) so re-sharding the same
    rows gives the same keys. A row without its image is kept in the parquet as failed; a line
    that is no row goes to ``bad_rows.jsonl`` (line, text, reason). Everything is written to a
    hidden staging folder renamed to ``out_dir`` at the end, so an interrupted run leaves no
    shards behind and a rerun starts clean. A source without a single image is an error."""
    # Here, not at the top: the ``xpm`` parser imports this module for its source arguments.
    import json
    import shutil

    from tqdm import tqdm

    from schemas.captioned_shard import sample_key
    from xpm.config import ConfigError
    from xpm.io.atomic import write_text_atomically
    from xpm.io.captioned_shards import CaptionedSample, FailedSample, write_captioned_shard

    if shard_size < 1:
        raise ConfigError(f"--shard-size {shard_size}: at least 1.")
    staging = staging_dir(out_dir)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    shard, samples, failures, total = 0, [], [], 0
    missing: Counter[str] = Counter()

    def flush():
        nonlocal shard, samples, failures
        if samples or failures:
            write_captioned_shard(staging, shard, samples, failures)
            shard, samples, failures = shard + 1, [], []

    try:
        with (staging / BAD_ROWS_FILE).open("w", encoding="utf-8") as bad, \
                tqdm(unit="row", desc=f"shard {out_dir.name}", disable=quiet, mininterval=1.0) as bar:
            bad_rows, first_bad = 0, None
            for row in rows:
                bar.update(1)
                if isinstance(row, BadRow):
                    bad.write(json.dumps({"line": row.line, "text": row.text, "reason": row.reason}) + "\n")
                    bad_rows += 1
                    first_bad = first_bad or row
                    continue
                key = sample_key(shard, len(samples) + len(failures), shard_size)
                if row.image is None:
                    failures.append(FailedSample(key, row.caption, row.url, row.error))
                    missing[row.error] += 1
                else:
                    data = row.image.read_bytes()
                    probed = _probe(data)
                    if isinstance(probed, str):
                        failures.append(FailedSample(key, row.caption, row.url, probed))
                        missing[probed] += 1
                    else:
                        width, height, extension = probed
                        samples.append(CaptionedSample(key, data, row.caption, width, height, row.url, extension))
                total += 1
                if len(samples) + len(failures) == shard_size:
                    flush()
                bar.set_postfix(shards=shard, without_image=sum(missing.values()), bad_rows=bad_rows, refresh=False)
            flush()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # a SIGKILL leaves it hidden; the next run clears it
        raise
    summary = ShardSummary(shards=shard, samples=total, missing=sum(missing.values()), bad_rows=bad_rows,
                           missing_by_reason=dict(missing))
    if total == summary.missing:
        shutil.rmtree(staging)
        # The staging folder, bad_rows.jsonl with it, is gone: the first bad line stands for them.
        first = f"; line {first_bad.line}: {first_bad.reason}" if first_bad else ""
        raise ConfigError(f"no row of the source has a local image, nothing written: {describe(summary, bad_rows_file=None)}{first}. "
                          "Give the images: --images DIR (img2dataset's files output, or the folder the TSV's paths "
                          "are relative to) or --url-map FILE.")
    write_text_atomically(staging / SUMMARY_FILE, json.dumps(summary.__dict__, sort_keys=True) + "\n")
    if out_dir.exists():
        out_dir.rmdir()  # the caller checked it is empty
    staging.rename(out_dir)
    return summary


def source_bytes(rows: Iterable[SourceRow | BadRow]) -> int:
    """About what shards of ``rows`` take: each row's image file once more (captions, the parquet
    index and the tar headers are small beside them)."""
    return sum(row.image.stat().st_size for row in rows if isinstance(row, SourceRow) and row.image is not None)


def describe(summary: ShardSummary, bad_rows_file: str | None = BAD_ROWS_FILE) -> str:
    parts = [f"{summary.samples} rows in {summary.shards} shard(s)"]
    parts += [f"{count} {reason}" for reason, count in sorted(summary.missing_by_reason.items())]
    if summary.bad_rows:
        parts.append(f"{summary.bad_rows} bad line(s) skipped" + (f" (see {bad_rows_file})" if bad_rows_file else ""))
    return "; ".join(parts)


def add_source_arguments(parser) -> None:
    parser.add_argument("--tsv", type=existing_file, help="captions TSV, 'caption<TAB>image' per line (header optional): the image is a URL "
                        "(Conceptual Captions; give --images with img2dataset's files output, or --url-map) or a path "
                        "relative to --images (default: the TSV's folder)")
    parser.add_argument("--images", type=existing_folder, help="image folder: img2dataset's files output or a plain folder (with --tsv), "
                        "or COCO's images (with --coco-captions)")
    parser.add_argument("--url-map", type=existing_file, help="TSV url<TAB>path mapping each url to a local image (instead of --images)")
    parser.add_argument("--coco-captions", type=existing_file, help="COCO captions JSON (captions_train2017.json); needs --images")
    parser.add_argument("--shard-size", type=int, default=1000, help="samples per shard (default 1000)")


@dataclass(frozen=True)
class SourceRows:
    """A source's rows, read afresh by each iteration: once to size the output, once to shard."""
    read: Callable[[], Iterator[SourceRow | BadRow]]

    def __iter__(self) -> Iterator[SourceRow | BadRow]:
        return self.read()


def source_rows(args) -> SourceRows | None:
    """The rows of the source the arguments name, or None when they name none."""
    from functools import partial

    from pipeline.read.captioned_sources import coco_captions, conceptual_captions, images_by_url, read_url_map
    from xpm.config import ConfigError

    if args.tsv and args.coco_captions:
        raise ConfigError("give --tsv or --coco-captions, not both.")
    if args.tsv:
        if args.images and args.url_map:
            raise ConfigError("with --tsv give --images DIR or --url-map FILE, not both.")
        images = images_by_url(Path(args.images)) if args.images else read_url_map(Path(args.url_map)) if args.url_map else {}
        return SourceRows(partial(conceptual_captions, Path(args.tsv), images, Path(args.images) if args.images else None))
    if args.coco_captions:
        if not args.images:
            raise ConfigError("with --coco-captions give the image folder as --images DIR.")
        if not Path(args.images).is_dir():
            raise ConfigError(f"--images {args.images}: not a folder.")
        return SourceRows(partial(coco_captions, Path(args.coco_captions), Path(args.images)))
    if args.images or args.url_map:
        raise ConfigError("--images and --url-map go with a captions file: --tsv FILE or --coco-captions FILE.")
    return None


def add_arguments(parser) -> None:
    parser.add_argument("--out", required=True, help="output folder for NNNNN.tar / .parquet / _stats.json, "
                        "bad_rows.jsonl and _SHARDED (the summary); written whole or not at all")
    add_source_arguments(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    from xpm.config import ConfigError
    from xpm.io.jobs import check_writable

    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"--out {out}: exists and is not an empty folder; choose a new one (nothing is overwritten).")
    rows = source_rows(args)
    if rows is None:
        raise ConfigError("name the source: --tsv FILE (captions TSV) or --coco-captions FILE.")
    check_writable(out, "--out", needs_bytes=source_bytes(rows))
    summary = write_shards(rows, out, args.shard_size, quiet=args.quiet)
    print(f"{out}: {describe(summary)}")
    return 0
