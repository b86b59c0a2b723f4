"""Unfinished runs are visible (`xpm dataset list`) and removable (`xpm dataset clean`), never
while a job is writing them."""

import os
import socket

from pipeline.version import lock_path
from commands.cli import main
from xpm.io.jobs import exclusive


def test_list_shows_staging_folders_and_clean_removes_only_stopped_ones(tmp_path, capsys):
    dataset = tmp_path / "tiny"
    stopped, running = dataset / ".staging-aaaa", dataset / ".staging-bbbb"
    (stopped / "parts").mkdir(parents=True)
    (stopped / "parts" / "00000.json").write_text("{}")
    (running / "parts").mkdir(parents=True)
    (dataset / ".staging-cccc.lock").write_text("{}")  # a killed job's: its folder already gone
    holder = f"pid {os.getpid()}, host {socket.gethostname()}"
    with exclusive(lock_path(str(running)), busy=str):
        assert main(["dataset", "list", str(tmp_path)]) == 0
        assert capsys.readouterr().out.splitlines() == [
            f"{tmp_path}: no dataset versions",
            f"{stopped}: unfinished, 1 shard(s) done; stopped: the same pseudo-label command resumes it, "
            "`xpm dataset clean ROOT/NAME` removes it",
            f"{running}: unfinished, 0 shard(s) done; running ({holder})",
        ]
        assert main(["dataset", "clean", str(dataset)]) == 0
        assert capsys.readouterr().out.splitlines() == [f"removed {stopped} (1 shard(s) done)",
                                                        f"kept {running}: running ({holder})"]
        assert sorted(p.name for p in dataset.iterdir()) == [".staging-bbbb", ".staging-bbbb.lock"]
    assert main(["dataset", "clean", str(dataset)]) == 0
    assert capsys.readouterr().out == f"removed {running} (0 shard(s) done)\n"
    assert list(dataset.iterdir()) == []


def test_clean_names_a_path_that_is_no_dataset(tmp_path, capsys):
    assert main(["dataset", "clean", str(tmp_path / "none")]) == 2
    assert "give ROOT/NAME" in capsys.readouterr().err
