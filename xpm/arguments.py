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


def new_or_folder(value: str) -> str:
    """An output folder: it may not exist yet, but it cannot be a file."""
    if Path(value).exists() and not Path(value).is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a file; give a folder (created when missing)")
    return value


class OneLineErrors(argparse.ArgumentParser):
    """Usage errors as one line naming the argument, with where to read more."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")
