"""The ``xpm`` command. Each subcommand lives in the package that owns the job; its ``cli``
module (help text and arguments) must import nothing heavy, because building the parser imports
them all: torch, Beam and the like load inside ``run`` only, so ``xpm --help`` stays fast and
the packages stay apart. This dispatcher is the one module that knows them all."""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import threading

from schemas.split import SplitError
from xpm.arguments import OneLineErrors
from xpm.config import ConfigError
from xpm.io.jobs import Interrupted
from xpm.modeling.errors import CheckpointError
from xpm.progress import LOGGER as PROGRESS_LOGGER, show_progress
from xpm.resources.errors import MissingResourceError

# name -> module with ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
COMMANDS = {
    "synth": "xpm.synth.cli",
    "nouns": "xpm.nouns.cli",
    "embed": "xpm.text.cli",
    "train-teacher": "trainers.teacher.cli",
    "train-student": "trainers.student.cli",
    "calibrate-eta": "trainers.student.calibrate_eta",
    "eval": "trainers.evaluation.cli",
    "predict": "commands.predict.cli",
    "coco-split": "trainers.data.coco_split_cli",
    "shard": "pipeline.shard",
    "pseudo-label": "pipeline.cli",
    "dataset": "pipeline.dataset.cli",
    "study-alignment": "commands.study.cli",
    "demo": "commands.demo.cli",
    "experiment": "commands.experiment.cli",
    "rounds": "commands.rounds.cli",
}

# Jobs that can take more than a few seconds before their own first progress line (libraries, a
# model, a lexicon to load): if one is still silent after STARTED_NOTICE_S, the dispatcher says
# it is loading. A mistake found at once stays a single line.
LONG_JOBS = frozenset({"synth", "train-teacher", "train-student", "calibrate-eta", "eval", "predict", "shard", "pseudo-label",
                       "study-alignment", "demo", "experiment", "rounds", "dataset report"})
STARTED_NOTICE_S = 2.0
# Jobs that pick up where they stopped when started again with the same arguments.
RESUMABLE = frozenset({"train-teacher", "train-student", "pseudo-label", "demo", "experiment", "rounds"})
# The shell's status for a job ended by SIGINT (128 + 2).
INTERRUPTED_STATUS = 130

# Errors whose message already says what is wrong and what to do: shown without a traceback.
USER_ERRORS = (ConfigError, SplitError, CheckpointError, MissingResourceError, FileNotFoundError)


class _DropMessage(logging.Filter):
    def __init__(self, start: str):
        super().__init__()
        self.start = start

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.start)


# Logger -> filter. Importing Beam's BigQuery module without Beam's [gcp] extra (xpm reads and
# writes no BigQuery) logs that its clients are absent: a WARNING on the root logger, and an INFO
# that the trainers, which log at INFO, would show. Noise to every command that loads Beam.
_BEAM_BIGQUERY_NOTICES = {
    "": _DropMessage("apitools not found, and bigquery client libraries are not available"),
    "apache_beam.io.gcp.bigquery": _DropMessage("No module named google.cloud.bigquery_storage_v1."),
}


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrors(
        prog="xpm", description="Open-vocabulary instance segmentation from captioned images (XPM)."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def interrupted_line(command: str, interrupt: KeyboardInterrupt) -> str:
    if command not in RESUMABLE:
        return "interrupted"
    kept = f": {interrupt.kept} kept" if isinstance(interrupt, Interrupted) else ""
    return f"interrupted; run the same command again to resume{kept}"


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    for logger, notice in _BEAM_BIGQUERY_NOTICES.items():
        logging.getLogger(logger).addFilter(notice)
    parser = build_parser()
    try:  # usage errors and --help end here, as a return code like every other error
        args, extra = parser.parse_known_args(argv)
        # Commands that run Beam pipelines take Beam's own options (--runner, --direct_num_workers,
        # ...) as they are; every other command refuses what it does not know.
        if extra and not getattr(importlib.import_module(COMMANDS[args.command]), "PASSES_BEAM_OPTIONS", False):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 2
    args.beam_args = extra
    # A scheduler or `kill` stops a job with SIGTERM: it ends as Ctrl-C does, what is finished kept
    # and child processes stopped, where the default would leave them running.
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous_handler = signal.signal(signal.SIGTERM, _raise_interrupt) if on_main_thread else None
    show_progress(not getattr(args, "quiet", False))
    notice = threading.Timer(STARTED_NOTICE_S, logging.getLogger(PROGRESS_LOGGER).info,
                             [f"xpm {args.command}: started; loading libraries and inputs"])
    notice.daemon = True
    if args.command in LONG_JOBS or f"{args.command} {getattr(args, 'action', '')}" in LONG_JOBS:
        notice.start()
    try:
        return int(args._run(args) or 0)
    except USER_ERRORS as error:
        notice.cancel()  # before the error line, so nothing follows it
        print(f"xpm {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:
        notice.cancel()
        print(f"xpm {args.command}: {interrupted_line(args.command, interrupt)}", file=sys.stderr)
        return INTERRUPTED_STATUS
    finally:
        notice.cancel()
        if on_main_thread and previous_handler is not None:  # None: one installed from C, not restorable
            signal.signal(signal.SIGTERM, previous_handler)


if __name__ == "__main__":
    sys.exit(main())
