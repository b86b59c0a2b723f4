"""Ordinary mistakes, command by command: each must end with exit 2 and one line on stderr that
names the argument (or the path) at fault, never a traceback."""

import json
from importlib import resources

import pytest
from PIL import Image

from xpm.cli import main


@pytest.fixture
def paths(tmp_path):
    folder = tmp_path / "a_folder"
    folder.mkdir()
    text = tmp_path / "notes.pt"
    text.write_text("not a checkpoint\n")
    (tmp_path / "gt.json").write_text("{}")
    Image.new("RGB", (16, 16)).save(folder / "x.png")
    root = tmp_path / "datasets"
    (root / "world" / "v1").mkdir(parents=True)
    (root / "world" / "v1" / "manifest.json").write_text(json.dumps({"counts": {}}))
    return {"dir": str(folder), "pt": str(text), "gt": str(tmp_path / "gt.json"), "root": str(root),
            "out": str(tmp_path / "out"), "missing": str(tmp_path / "missing"), "img": str(folder / "x.png")}


TEACHER_YAML = str(resources.files("xpm.configs") / "teacher_cpu.yaml")

CASES = [
    (["train-teacher", "--out", "{out}", "--config", "{dir}"], "argument --config"),
    (["train-teacher", "--out", "{out}", "--split", "{dir}"], "argument --split"),
    (["train-teacher", "--out", "{out}", "--train-images", "{gt}"], "argument --train-images"),
    (["train-teacher", "--out", "{pt}"], "argument --out"),
    (["train-teacher", "--out", "{out}", "--config", TEACHER_YAML, "--set", "optim.lrr=1"], "--set optim.lrr"),
    (["train-student", "--out", "{out}", "--data", "{gt}"], "argument --data"),
    (["train-student", "--out", "{out}", "--init", "{dir}"], "argument --init"),
    (["train-student", "--out", "{out}", "--data", "{dir}", "--base-gt", "{gt}", "--base-images", "{dir}", "--split", "{gt}",
      "--init", "{pt}", "--eta", "0.02"], "--eta is used only with alpha_scale: eta"),
    (["calibrate-eta", "--model", "{dir}", "--data", "{dir}"], "argument --model"),
    (["eval", "--model", "{dir}", "--gt", "{gt}", "--images", "{dir}", "--split", "{gt}"], "argument --model"),
    (["eval", "--model", "{pt}", "--gt", "{dir}", "--images", "{dir}", "--split", "{gt}"], "argument --gt"),
    (["eval", "--model", "{pt}", "--gt", "{gt}", "--images", "{dir}", "--split", "{missing}"], "argument --split"),
    (["predict", "{img}", "--model", "{pt}", "--classes", "cat", "--out", "{out}"], "{pt}"),
    (["predict", "{img}", "--model", "{pt}", "--classes-file", "{dir}", "--out", "{out}"], "argument --classes-file"),
    (["shard", "--tsv", "{dir}", "--out", "{out}"], "argument --tsv"),
    (["shard", "--coco-captions", "{gt}", "--images", "{gt}", "--out", "{out}"], "argument --images"),
    (["pseudo-label", "--config", "{dir}"], "argument --config"),
    (["pseudo-label", "--input", "{dir}/*.png", "--teacher", "{pt}", "--output", "{out}", "--name", "x",
      "--inference", "run-inference", "--runner", "DaskRunner"], "use --inference whole-shard"),
    (["synth", "{out}", "--split", "{dir}"], "argument --split"),
    (["study-alignment", "--world", "{gt}", "--teacher", "{pt}", "--out", "{out}"], "argument --world"),
    (["coco-split", "--coco-root", "{gt}", "--out", "{out}"], "argument --coco-root"),
    (["embed", "dog", ""], "NAME 2"),
    (["dataset", "list", "{missing}"], "{missing}"),
    (["dataset", "verify", "{root}"], "ROOT/NAME"),
    (["dataset", "show", "{missing}"], "{missing}"),
]


@pytest.mark.parametrize("argv, named", CASES, ids=[" ".join(a[:2]) + f" ({n})" for a, n in CASES])
def test_an_ordinary_mistake_is_one_line_naming_the_argument(argv, named, paths, capsys):
    argv = [a.format(**paths) for a in argv]
    code = main(argv)
    # A job still loading after a few seconds says so first (xpm.cli.LONG_JOBS): progress, not the error.
    err = "\n".join(line for line in capsys.readouterr().err.splitlines() if not line.endswith("started; loading libraries and inputs"))
    assert code == 2
    assert "\n" not in err and "Traceback" not in err, err
    assert named.format(**paths) in err, err
    assert "weights_only=False" not in err
