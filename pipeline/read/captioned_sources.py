"""Captioned images as users hold them, before sharding: a captions TSV whose second column is an
image URL (with img2dataset's ``files`` output or a url -> path map) or a local image path, and
COCO captions.

Each source yields, in a stable order, a :class:`SourceRow` per usable row (``image`` None, with
``error``, when its image is not on disk: the shard stage records it instead of dropping it) and
a :class:`BadRow` per line it cannot read, so one malformed line of a 3.3M-line file is recorded
and skipped, not fatal.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from xpm.config import ConfigError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
# Why a row has no image, as counted in the shard summary.
NO_IMAGE_FOR_URL = "no local image for this url"
IMAGE_FILE_MISSING = "image file not found"
IMAGE_PATH_IS_FOLDER = "image path is a folder"
# What a header row may call the image column.
IMAGE_COLUMN_NAMES = {"url", "image", "image_url", "path", "image_path", "file", "file_name", "filename"}


@dataclass(frozen=True)
class SourceRow:
    caption: str
    url: str
    image: Path | None
    error: str = ""


@dataclass(frozen=True)
class BadRow:
    """A line of the source that is not a caption and an image: skipped, kept for the user."""
    line: int
    text: str
    reason: str


def _is_url(field: str) -> bool:
    return "://" in field


def _looks_like_header(fields: list[str]) -> bool:
    return len(fields) >= 2 and fields[0].strip().lower() == "caption" and fields[1].strip().lower() in IMAGE_COLUMN_NAMES


def _local_image(path: Path) -> tuple[Path | None, str]:
    """``(path, "")`` for an image file, else ``(None, why not)``."""
    if path.is_file():
        return path, ""
    return None, IMAGE_PATH_IS_FOLDER if path.is_dir() else IMAGE_FILE_MISSING


def _tsv_lines(tsv: Path) -> Iterator[tuple[int, list[str] | BadRow]]:
    """``(line number, fields)`` per line, or the line as a :class:`BadRow` where it is not UTF-8:
    a caption is never guessed at, and one such line of millions does not stop the job. A
    leading byte-order mark is no part of the first caption."""
    with tsv.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            raw = raw.rstrip(b"\r\n")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield number, BadRow(number, raw.decode("utf-8", errors="replace"),
                                     f"not UTF-8 (byte 0x{raw[error.start]:02x} at column {error.start + 1}); save the file as UTF-8")
                continue
            yield number, line.split("\t")


def images_by_url(images_dir: Path) -> dict[str, Path]:
    """img2dataset's ``files`` output: ``<key>.json`` (holding ``url``) beside ``<key>.<image>``;
    empty for a plain image folder."""
    if not images_dir.is_dir():
        raise ConfigError(f"--images {images_dir}: " + ("not a folder." if images_dir.exists() else "does not exist."))
    found = {}
    for meta in sorted(images_dir.rglob("*.json")):
        try:
            url = json.loads(meta.read_text()).get("url")
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            continue
        image = next((meta.with_suffix(s) for s in IMAGE_SUFFIXES if meta.with_suffix(s).is_file()), None)
        if url and image is not None:
            found[url] = image
    return found


def read_url_map(path: Path) -> dict[str, Path]:
    """A TSV of ``url<TAB>path`` (paths relative to the map's folder), with or without a header."""
    if not path.is_file():
        raise ConfigError(f"--url-map {path}: " + ("a folder; give the url<TAB>path file." if path.exists() else "does not exist."))
    mapping = {}
    with path.open(newline="", encoding="utf-8") as stream:
        for number, fields in enumerate(csv.reader(stream, delimiter="\t"), start=1):
            if len(fields) < 2:
                raise ConfigError(f"{path}:{number}: expected 'url<TAB>path', got {fields!r}.")
            if number == 1 and fields[0].strip().lower() == "url":
                continue
            mapping[fields[0]] = (path.parent / fields[1]).resolve()
    return mapping


def conceptual_captions(tsv: Path, images: dict[str, Path], image_root: Path | None = None) -> Iterator[SourceRow | BadRow]:
    """Rows of a ``caption<TAB>image`` TSV (header optional), in file order. The image column is a
    URL, looked up in ``images`` (img2dataset's output or a url map), or a local path, relative
    to ``image_root`` (default: the TSV's folder)."""
    if not tsv.is_file():
        raise ConfigError(f"--tsv {tsv}: " + ("a folder; give the captions TSV file." if tsv.exists() else "does not exist."))
    root = image_root if image_root is not None else tsv.parent
    for number, fields in _tsv_lines(tsv):
        if isinstance(fields, BadRow):
            yield fields
            continue
        if number == 1 and _looks_like_header(fields):
            continue
        if len(fields) < 2 or not fields[0].strip() or not fields[1].strip():
            yield BadRow(number, "\t".join(fields), "expected 'caption<TAB>image url or path'")
            continue
        caption, where = fields[0].strip(), fields[1].strip()
        if _is_url(where):
            image = images.get(where)
            yield SourceRow(caption, where, image, "" if image else NO_IMAGE_FOR_URL)
        else:
            yield SourceRow(caption, where, *_local_image(root / where))


def coco_captions(captions_json: Path, images_dir: Path) -> Iterator[SourceRow | BadRow]:
    """One row per COCO image, its captions joined (the paper's COCO-captions setting), by image id."""
    if not captions_json.is_file():
        raise ConfigError(f"--coco-captions {captions_json}: "
                          + ("a folder; give captions_*.json." if captions_json.exists() else "does not exist."))
    try:
        data = json.loads(captions_json.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"--coco-captions {captions_json}: not JSON ({error}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("images"), list) or not isinstance(data.get("annotations"), list):
        raise ConfigError(f"--coco-captions {captions_json}: not a COCO captions file (it needs 'images' and 'annotations').")
    captions: dict[int, list[str]] = {}
    for annotation in data["annotations"]:
        if isinstance(annotation, dict) and "image_id" in annotation and str(annotation.get("caption", "")).strip():
            captions.setdefault(annotation["image_id"], []).append(" ".join(str(annotation["caption"]).split()))
    entries = []
    for number, image in enumerate(data["images"], start=1):
        if isinstance(image, dict) and "id" in image and image.get("file_name"):
            entries.append(image)
        else:
            yield BadRow(number, json.dumps(image)[:200], "an image entry needs 'id' and 'file_name'")
    for image in sorted(entries, key=lambda i: i["id"]):
        text = " ".join(c if c.endswith(".") else c + "." for c in captions.get(image["id"], []))
        yield SourceRow(text, image.get("coco_url") or image["file_name"], *_local_image(images_dir / image["file_name"]))
