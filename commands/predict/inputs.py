"""The images ``xpm predict`` is given: files and folders expanded, and each file decoded under
the pipeline's rules (the same decompression-bomb and size limits, the same conversions), so a
bad file becomes a reason, never an exception."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from xpm.io.images import BadImage, DecodeLimits, decode_image

# The pipeline's reject codes, as a user reading one line about their own file would put them.
_REASONS = {
    "empty_image_file": "the file is empty",
    "undecodable_image": "not a readable image",
    "image_too_large": "the image is too large",
    "image_too_small": "the image is too small",
}
# Pillow names the in-memory stream it was reading; the file's own path is already in the line.
_STREAM_REPR = re.compile(r" ?<_io\.BytesIO object at 0x[0-9a-f]+>")


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str

    def message(self) -> str:
        return f"skipped {self.path}: {self.reason}"


def image_files(inputs: Sequence[str | Path]) -> list[Path]:
    """Files as given, folders as their files (sorted, not recursing, hidden files left out);
    every file is tried, so a file that is no image is reported rather than silently passed over."""
    files: list[Path] = []
    for item in map(Path, inputs):
        if item.is_dir():
            inside = sorted(p for p in item.iterdir() if p.is_file() and not p.name.startswith("."))
            if not inside:
                raise FileNotFoundError(f"folder {item} holds no files; pass a folder of images (subfolders are not searched).")
            files.extend(inside)
        elif item.is_file():
            files.append(item)
        else:
            raise FileNotFoundError(f"input {item} does not exist; pass image files or folders of images.")
    return files


def load_image(path: Path, limits: DecodeLimits = DecodeLimits()) -> np.ndarray | Skipped:
    """``H x W x 3`` uint8 RGB, or why ``path`` cannot be used."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return Skipped(path, f"cannot be read ({error.strerror or error})")
    decoded = decode_image(data, limits)
    if isinstance(decoded, BadImage):
        detail = _STREAM_REPR.sub("", decoded.detail)
        return Skipped(path, _REASONS.get(decoded.reason, decoded.reason) + (f" ({detail})" if detail else ""))
    return decoded
