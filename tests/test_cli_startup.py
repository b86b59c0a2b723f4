"""The ``xpm`` command starts light and quiet: building its parser (``xpm --help``, ``xpm CMD
--help``) and light commands load neither torch nor Apache Beam, and a command that does load
Beam shows none of Beam's import-time BigQuery notices. Each check runs in a fresh interpreter, as a user's
command does, because this test process may already hold those modules."""

import subprocess
import sys

HEAVY = {"torch", "torchvision", "apache_beam", "transformers"}


def _loaded_heavy_modules(code: str) -> list[str]:
    """Runs ``code`` in a fresh interpreter; returns the heavy top-level packages it imported."""
    report = "import sys\nprint('LOADED', *sorted({m.split('.')[0] for m in sys.modules} & %r))" % HEAVY
    result = subprocess.run([sys.executable, "-c", code + "\n" + report], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1].split()[1:]


def test_parser_and_every_help_load_no_heavy_library():
    code = """
from commands.cli import COMMANDS, build_parser

parser = build_parser()
for argv in (["--help"], *([name, "--help"] for name in COMMANDS), ["dataset", "list", "--help"]):
    try:
        parser.parse_args(argv)
    except SystemExit:
        pass
"""
    assert _loaded_heavy_modules(code) == []


def test_nouns_loads_no_heavy_library():
    code = """
from commands.cli import main

assert main(["nouns", "a dog on a sofa"]) == 0
"""
    assert _loaded_heavy_modules(code) == []


def test_beam_command_prints_no_beam_notice(tmp_path):
    result = subprocess.run([sys.executable, "-m", "commands.cli", "dataset", "list", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{tmp_path}: no dataset versions\n"
    assert "apitools" not in result.stderr.lower()
    assert "bigquery" not in result.stderr.lower()


def test_trainer_logging_at_info_shows_no_beam_notice(tmp_path):
    """The trainers log at INFO and load Beam: only their own one-line error is shown."""
    result = subprocess.run([sys.executable, "-m", "commands.cli", "train-teacher", "--out", str(tmp_path / "run")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr == "xpm train-teacher: error: teacher config: train_gt is required (--train-gt or in the YAML).\n"
