"""The ``xpm`` command. Each subcommand lives in the package that owns the job and is imported
only when named, so ``xpm --help`` stays fast and the packages stay apart; this dispatcher is
the one module that knows them all."""

from __future__ import annotations

import argparse
import importlib
import sys

from schemas.split import SplitError
from xpm.config import ConfigError
from xpm.modeling.errors import CheckpointError
from xpm.resources.errors import MissingResourceError

# name -> module with ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
COMMANDS = {
    "synth": "xpm.synth.cli",
    "nouns": "pipeline.nouns.cli",
    "embed": "xpm.text.cli",
    "train-teacher": "trainers.teacher.cli",
    "train-student": "trainers.student.cli",
    "calibrate-eta": "trainers.student.calibrate_eta",
    "eval": "trainers.evaluation.cli",
    "predict": "xpm.predict.cli",
    "coco-split": "trainers.data.coco_split_cli",
    "shard": "pipeline.shard",
    "pseudo-label": "pipeline.cli",
    "dataset": "pipeline.dataset.cli",
    "demo": "xpm.demo.cli",
}

# Errors whose message already says what is wrong and what to do: shown without a traceback.
USER_ERRORS = (ConfigError, SplitError, CheckpointError, MissingResourceError, FileNotFoundError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xpm", description="Open-vocabulary instance segmentation from captioned images (XPM)."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # Commands that run Beam pipelines take Beam's own options (--runner, --direct_num_workers,
    # ...) as they are; every other command refuses what it does not know.
    if extra and not getattr(importlib.import_module(COMMANDS[args.command]), "PASSES_BEAM_OPTIONS", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.beam_args = extra
    try:
        return int(args._run(args) or 0)
    except USER_ERRORS as error:
        print(f"xpm {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
