"""The colour emoji font whose glyphs are the synthetic world's objects."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

from xpm.resources.errors import MissingResourceError

FONT_ENV = "XPM_EMOJI_FONT"
DEBIAN_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
# Noto Color Emoji is a bitmap font with a single strike: Pillow renders it only at this size.
EMOJI_FONT_SIZE = 109


def _fontconfig_match() -> Path | None:
    if shutil.which("fc-match") is None:
        return None
    result = subprocess.run(
        ["fc-match", "-f", "%{file}", "Noto Color Emoji"], capture_output=True, text=True, check=False
    )
    path = Path(result.stdout.strip())
    return path if result.returncode == 0 and path.name.lower().startswith("notocoloremoji") else None


@functools.lru_cache(maxsize=None)
def emoji_font_path() -> Path:
    """``$XPM_EMOJI_FONT``, else Debian's path, else what fontconfig finds for Noto Color Emoji."""
    chosen = os.environ.get(FONT_ENV)
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            raise MissingResourceError(f"${FONT_ENV}={chosen} is not a file; point it at NotoColorEmoji.ttf.")
        return path
    for candidate in (DEBIAN_FONT, _fontconfig_match()):
        if candidate is not None and candidate.is_file():
            return candidate
    raise MissingResourceError(
        "The Noto Color Emoji font is needed to draw the synthetic world. Install Debian's "
        f"package (`apt-get install fonts-noto-color-emoji`, giving {DEBIAN_FONT}) or set "
        f"${FONT_ENV} to the path of NotoColorEmoji.ttf."
    )
