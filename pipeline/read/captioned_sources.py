"""Captioned images as users hold them, before sharding: Conceptual Captions' TSV with a local
image folder (img2dataset ``files`` output or a url -> path mapping), and COCO captions.

Each source yields :class:`SourceRow`s in a stable order; ``image`` is None (with ``error``)
when the row's image is not on disk, so the shard stage can record it instead of dropping it.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from xpm.config import ConfigError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


@dataclass(frozen=True)
class SourceRow:
    caption: str
    url: str
    image: Path | None
    error: str = ""


def _looks_like_header(fields: list[str]) -> bool:
    return len(fields) >= 2 and fields[0].strip().lower() == "caption" and fields[1].strip().lower() == "url"


def images_by_url(images_dir: Path) -> dict[str, Path]:
    """img2dataset's ``files`` output: ``<key>.json`` (holding ``url``) beside ``<key>.<image>``."""
    if not images_dir.is_dir():
        raise FileNotFoundError(f"image folder {images_dir} does not exist.")
    found = {}
    for meta in sorted(images_dir.rglob("*.json")):
        try:
            url = json.loads(meta.read_text()).get("url")
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        image = next((meta.with_suffix(s) for s in IMAGE_SUFFIXES if meta.with_suffix(s).is_file()), None)
        if url and image is not None:
            found[url] = image
    return found


def read_url_map(path: Path) -> dict[str, Path]:
    """A TSV of ``url<TAB>path`` (paths relative to the map's folder), with or without a header."""
    if not path.is_file():
        raise FileNotFoundError(f"url map {path} does not exist.")
    mapping = {}
    with path.open(newline="", encoding="utf-8") as stream:
        for number, fields in enumerate(csv.reader(stream, delimiter="\t"), start=1):
            if len(fields) < 2:
                raise ConfigError(f"{path}:{number}: expected 'url<TAB>path', got {fields!r}.")
            if number == 1 and fields[0].strip().lower() == "url":
                continue
            mapping[fields[0]] = (path.parent / fields[1]).resolve()
    return mapping


def conceptual_captions(tsv: Path, images: dict[str, Path]) -> Iterator[SourceRow]:
    """Rows of Google's ``caption<TAB>url`` TSV (header optional), in file order."""
    if not tsv.is_file():
        raise FileNotFoundError(f"captions file {tsv} does not exist.")
    with tsv.open(newline="", encoding="utf-8", errors="replace") as stream:
        for number, fields in enumerate(csv.reader(stream, delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
            if number == 1 and _looks_like_header(fields):
                continue
            if len(fields) < 2:
                raise ConfigError(f"{tsv}:{number}: expected 'caption<TAB>url', got {len(fields)} field(s).")
            caption, url = fields[0], fields[1].strip()
            image = images.get(url)
            yield SourceRow(caption, url, image, "" if image else "no local image for this url")


def coco_captions(captions_json: Path, images_dir: Path) -> Iterator[SourceRow]:
    """One row per COCO image, its captions joined (the paper's COCO-captions setting), by image id."""
    if not captions_json.is_file():
        raise FileNotFoundError(f"captions file {captions_json} does not exist.")
    data = json.loads(captions_json.read_text())
    if not isinstance(data.get("images"), list) or not isinstance(data.get("annotations"), list):
        raise ConfigError(f"{captions_json} is not a COCO captions file (it needs 'images' and 'annotations').")
    captions: dict[int, list[str]] = {}
    for annotation in data["annotations"]:
        captions.setdefault(annotation["image_id"], []).append(" ".join(str(annotation["caption"]).split()))
    for image in sorted(data["images"], key=lambda i: i["id"]):
        path = images_dir / image["file_name"]
        text = " ".join(c if c.endswith(".") else c + "." for c in captions.get(image["id"], []))
        yield SourceRow(text, image.get("coco_url") or image["file_name"], path if path.is_file() else None,
                        "" if path.is_file() else f"{path} does not exist")
