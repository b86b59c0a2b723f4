"""Where a command's output goes: the folder it writes into, and PNG files written whole."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from xpm.config import ConfigError
from xpm.io.atomic import atomic_output


def output_folder(path: str | Path, option: str = "--out") -> Path:
    """``path`` as a folder, created with its parents when missing; a file there is an error
    naming the option, not a traceback from deep inside a writer."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{option} {path} is a file; pass a folder (it is created when missing).")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise ConfigError(f"{option} {path}: a parent of it is a file; pass a folder path.") from None
    except PermissionError:
        raise ConfigError(f"{option} {path} cannot be created here (permission denied); pass a folder you can write to.") from None
    return path


def save_png(image: Image.Image, path: str | Path) -> None:
    """Renamed into place when complete, so a reader never sees half a picture."""
    with atomic_output(Path(path)) as stream:
        image.save(stream, format="PNG")
