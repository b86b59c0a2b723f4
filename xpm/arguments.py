"""Argument types for the ``xpm`` commands: a path that must be a file or a folder is checked
while parsing, so a mistake ends in one line naming the argument (``argument --split: ... is a
folder``), not in a traceback from deep inside a job."""

from __future__ import annotations

import argparse
from pathlib import Path


def existing_file(value: str) -> str:
    path = Path(value)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a folder; give a file")
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{value} does not exist")
    return value


def existing_folder(value: str) -> str:
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a file; give a folder")
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{value} does not exist")
    return value


def config_file(value: str) -> str:
    """A YAML file, or the name of one xpm ships (``teacher_cpu`` is ``xpm/configs/teacher_cpu.yaml``
    wherever xpm is installed), so a command works from any folder."""
    from importlib import resources

    packaged = resources.files("xpm.configs")
    if not Path(value).exists() and (packaged / f"{value}.yaml").is_file():
        return str(packaged / f"{value}.yaml")
    try:
        return existing_file(value)
    except argparse.ArgumentTypeError as error:
        names = ", ".join(sorted(p.name.removesuffix(".yaml") for p in packaged.iterdir() if p.name.endswith(".yaml")))
        raise argparse.ArgumentTypeError(f"{error}; give a YAML file or a packaged config ({names})") from None


def new_or_folder(value: str) -> str:
    """An output folder: it may not exist yet, but it cannot be a file."""
    if Path(value).exists() and not Path(value).is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a file; give a folder (created when missing)")
    return value


class OneLineErrors(argparse.ArgumentParser):
    """Usage errors as one line naming the argument, with where to read more."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")
