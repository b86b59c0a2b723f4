"""The README's command table and the parser agree: every command is in the table, and every
flag the table shows exists on that command."""

import re
from pathlib import Path

from commands.cli import COMMANDS, build_parser

README = Path(__file__).resolve().parent.parent / "README.md"


def _table_rows() -> list[str]:
    return [line for line in README.read_text().splitlines() if line.startswith("| `xpm ")]


def _options(parser) -> dict[str, set[str]]:
    """Command name (and "dataset ACTION") -> its option strings."""
    found = {}
    for action in parser._subparsers._group_actions:
        for name, sub in action.choices.items():
            found[name] = {flag for a in sub._actions for flag in a.option_strings}
            if sub._subparsers is not None:
                for inner in sub._subparsers._group_actions:
                    for action_name, leaf in inner.choices.items():
                        found[f"{name} {action_name}"] = {flag for a in leaf._actions for flag in a.option_strings}
    return found


def test_every_command_is_in_the_readme_table():
    named = {re.match(r"\| `xpm ([a-z-]+)", row).group(1) for row in _table_rows()}
    assert set(COMMANDS) <= named


def test_every_flag_in_the_readme_table_exists():
    options = _options(build_parser())
    unknown = []
    for row in _table_rows():
        cell = re.split(r"(?<!\\)\|", row)[1]  # "\|" inside a cell is an escaped bar, not a cell border
        for usage in re.findall(r"`xpm ([^`]+)`", cell):
            words = usage.split()
            command = f"{words[0]} {words[1]}" if f"{words[0]} {words[1] if len(words) > 1 else ''}" in options else words[0]
            for flag in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", usage):
                if flag not in options.get(command, set()) and flag not in {"--help"}:
                    unknown.append(f"xpm {command} {flag}")
    assert unknown == []
