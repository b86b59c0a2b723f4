import json
import subprocess
import sys

from commands.cli import COMMANDS, main


def _xpm(*args):
    return subprocess.run([sys.executable, "-m", "commands.cli", *args], capture_output=True, text=True, timeout=300)


def test_help_lists_every_command():
    result = _xpm("--help")
    assert result.returncode == 0
    for name in COMMANDS:
        assert name in result.stdout
        assert _xpm(name, "--help").returncode == 0


def test_nouns_json_keeps_the_reason(capsys):
    assert main(["nouns", "--json", "two dogs and a teddy bear", "an idea"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == [
        {"caption": "two dogs and a teddy bear", "reason": None,
         "nouns": [{"lemma": "dog", "synset": "dog.n.01"}, {"lemma": "teddy bear", "synset": "teddy.n.01"}]},
        {"caption": "an idea", "nouns": [], "reason": "no object nouns"},
    ]


def test_nouns_reads_captions_from_stdin():
    result = subprocess.run([sys.executable, "-m", "commands.cli", "nouns", "--json", "-"], input="a red bus\n\na cat on a mat\n",
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [[n["lemma"] for n in row["nouns"]] for row in rows] == [["bus"], ["cat", "mat"]]


def test_user_errors_are_one_line(tmp_path, capsys):
    assert main(["synth", str(tmp_path / "w"), "--split", str(tmp_path / "none.json")]) == 2
    assert "argument --split" in capsys.readouterr().err


def test_synth_list_classes(capsys):
    assert main(["synth", "--list-classes"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) >= 60 and {"name", "emoji", "category", "default_split"} <= set(rows[0])


def test_a_long_job_silent_at_first_says_it_started_unless_quiet(monkeypatch, tmp_path, capsys):
    import logging
    import threading
    import time

    import pipeline.shard
    import commands.cli
    from xpm.progress import LOGGER

    def silent_until_noticed(args):
        # Waits for the notice itself, not for a guessed time: a loaded machine may be slow to fire it.
        noticed = threading.Event()
        handler = logging.Handler()
        handler.emit = lambda record: noticed.set()
        logging.getLogger(LOGGER).addHandler(handler)
        try:
            return 0 if args.quiet or noticed.wait(timeout=60) else 1
        finally:
            logging.getLogger(LOGGER).removeHandler(handler)

    monkeypatch.setattr(commands.cli, "STARTED_NOTICE_S", 0.05)
    monkeypatch.setattr(pipeline.shard, "run", silent_until_noticed)
    (tmp_path / "c.tsv").write_text("a dog\tdog.jpg\n")
    argv = ["shard", "--tsv", str(tmp_path / "c.tsv"), "--out", str(tmp_path / "o")]
    assert main(argv) == 0
    assert capsys.readouterr().err == "xpm shard: started; loading libraries and inputs\n"
    assert main([*argv, "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(commands.cli, "STARTED_NOTICE_S", 0.3)
    monkeypatch.setattr(pipeline.shard, "run", lambda args: 0)
    assert main(argv) == 0
    time.sleep(1.0)
    assert capsys.readouterr().err == ""  # done before the notice was due: nothing said
