"""Ordinary mistakes, command by command: each must end with exit 2 and one line on stderr that
names the argument (or the path) at fault, never a traceback."""

import json
import os
import re
import subprocess
import sys
import tarfile
from importlib import resources
from pathlib import Path

import pytest
from PIL import Image

from commands.cli import main
from xpm.io.jobs import _size


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
    # A job still loading after a few seconds says so first (commands.cli.LONG_JOBS): progress, not the error.
    err = "\n".join(line for line in capsys.readouterr().err.splitlines() if not line.endswith("started; loading libraries and inputs"))
    assert code == 2
    assert "\n" not in err and "Traceback" not in err, err
    assert named.format(**paths) in err, err
    assert "weights_only=False" not in err


@pytest.fixture
def unwritable(tmp_path):
    """A folder no file can be created in: mode 555, or for root (whom modes do not stop) a
    folder of sysfs."""
    if os.geteuid() != 0:
        folder = tmp_path / "read_only"
        folder.mkdir(mode=0o555)
        yield str(folder)
        folder.chmod(0o755)
        return
    folder = Path("/sys/fs")
    try:
        (folder / "xpm-write-check").touch()
    except OSError:
        yield str(folder)
    else:
        pytest.skip("no unwritable folder on this machine")


def test_an_output_that_cannot_be_written_is_found_before_any_work(paths, unwritable, tmp_path, capsys):
    (tmp_path / "captions.tsv").write_text("a dog\tx.png\n")
    with tarfile.open(tmp_path / "00000.tar", "w"):
        pass
    cases = [
        ["shard", "--tsv", str(tmp_path / "captions.tsv"), "--images", paths["dir"], "--out", f"{unwritable}/shards"],
        ["train-teacher", "--out", f"{unwritable}/run", "--config", TEACHER_YAML, "--train-gt", paths["gt"],
         "--train-images", paths["dir"], "--split", paths["gt"]],
        ["train-student", "--out", f"{unwritable}/run", "--data", paths["dir"], "--base-gt", paths["gt"],
         "--base-images", paths["dir"], "--split", paths["gt"], "--init", paths["pt"]],
        ["pseudo-label", "--input", str(tmp_path / "*.tar"), "--teacher", paths["pt"], "--output", unwritable, "--name", "x"],
    ]
    for argv in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert err.startswith(f"xpm {argv[0]}: error: --out" if argv[0] != "pseudo-label" else "xpm pseudo-label: error: --output"), err
        assert f"cannot write in {unwritable}" in err and "choose a folder you can write to" in err, err


def test_an_output_without_room_for_the_inputs_is_refused(paths, tmp_path, monkeypatch, capsys):
    import shutil

    with tarfile.open(tmp_path / "00000.tar", "w") as tar:
        tar.addfile(tarfile.TarInfo("a.txt"))
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=100))
    argv = ["pseudo-label", "--input", str(tmp_path / "*.tar"), "--teacher", paths["pt"], "--output", paths["out"], "--name", "x"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"--output {paths['out']}: the output needs about 10.2 KB and {tmp_path} has 100 bytes free" in err, err


def _captions_with_images(tmp_path) -> tuple[Path, int]:
    """A captions TSV naming two images (one twice) and a missing one, and what shards of it hold in images."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for name, size in (("a.png", 40), ("b.png", 24)):
        Image.new("RGB", (size, size), (size, 0, 0)).save(folder / name)
    (folder / "captions.tsv").write_text("a dog\ta.png\na cat\tb.png\ntwo dogs\ta.png\na bus\tgone.png\n")
    return folder / "captions.tsv", 2 * (folder / "a.png").stat().st_size + (folder / "b.png").stat().st_size


def _without_room(monkeypatch, tmp_path, free: int) -> None:
    import shutil

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=free))


def test_shard_without_room_for_the_images_it_would_copy_is_refused(tmp_path, monkeypatch, capsys):
    tsv, images = _captions_with_images(tmp_path)
    _without_room(monkeypatch, tmp_path, images - 1)
    out = tmp_path / "shards"
    assert main(["shard", "--tsv", str(tsv), "--out", str(out), "--quiet"]) == 2
    assert capsys.readouterr().err == (f"xpm shard: error: --out {out}: the output needs about {_size(images)} and {tmp_path} "
                                       f"has {_size(images - 1)} free; free some space or choose another folder.\n")
    assert not out.exists() and not list(tmp_path.glob(".shards*"))
    _without_room(monkeypatch, tmp_path, images)
    assert main(["shard", "--tsv", str(tsv), "--out", str(out), "--quiet"]) == 0


def test_pseudo_label_of_a_source_needs_room_for_its_shards_and_the_version(paths, tmp_path, monkeypatch, capsys):
    tsv, images = _captions_with_images(tmp_path)
    _without_room(monkeypatch, tmp_path, 2 * images - 1)
    argv = ["pseudo-label", "--tsv", str(tsv), "--teacher", paths["pt"], "--output", paths["out"], "--name", "x"]
    assert main(argv) == 2
    assert f"--output {paths['out']}: the output needs about {_size(2 * images)} and {tmp_path} has" in capsys.readouterr().err
    assert not Path(paths["out"]).exists()


def test_a_training_run_without_room_for_its_checkpoints_stops_before_its_first_step(tiny_teacher_config, tiny_teacher,
                                                                                    tmp_path, monkeypatch, capsys):
    from xpm.config import save_config

    save_config(tiny_teacher_config, tmp_path / "teacher.yaml")
    _without_room(monkeypatch, tmp_path, 100_000)
    out = tmp_path / "run"
    assert main(["train-teacher", "--out", str(out), "--config", str(tmp_path / "teacher.yaml"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    needs = re.fullmatch(f"xpm train-teacher: error: --out {re.escape(str(out))}: the output needs about ([0-9.]+) MB and "
                         f"{re.escape(str(out))} has 100.0 KB free; free some space or choose another folder.", err)
    # The weights (a model.pt of the same model) with AdamW's two moments, twice.
    weights = tiny_teacher.stat().st_size / 1e6
    assert needs and 5.5 * weights < float(needs[1]) < 6.5 * weights, (err, weights)
    assert not out.exists()


HEAVY = {"torch", "torchvision", "apache_beam"}


@pytest.mark.parametrize("mistake, named", [
    (["--name", "no spaces"], "name 'no spaces' (--name)"),
    (["--teacher", "{missing}"], "--teacher {missing} does not exist"),
    (["--input", "{dir}/*.tar"], "--input '{dir}/*.tar' matches no file"),
])
def test_pseudo_label_mistakes_needing_no_model_are_found_before_torch_and_beam_load(mistake, named, paths, tmp_path):
    with tarfile.open(tmp_path / "00000.tar", "w"):
        pass
    given = {"--input": str(tmp_path / "*.tar"), "--teacher": paths["pt"], "--output": paths["out"], "--name": "x"}
    given.update(dict(zip(mistake[::2], (m.format(**paths) for m in mistake[1::2]))))
    argv = ["pseudo-label", *[item for pair in given.items() for item in pair]]
    code = f"""
import sys
from commands.cli import main
assert main({argv!r}) == 2
print("LOADED", *sorted({{m.split('.')[0] for m in sys.modules}} & {HEAVY!r}))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["LOADED"]
    assert named.format(**paths) in result.stderr and result.stderr.count("\n") == 1, result.stderr


def _pseudo_label_argv(world, teacher, root, *extra) -> list[str]:
    return ["pseudo-label", "--input", str(world / "captioned" / "*.tar"), "--teacher", str(teacher), "--output", str(root),
            "--name", "tiny", "--device", "cpu", "--quiet", *extra]


def _staging(world, teacher, root) -> Path:
    from pipeline.config import PseudoLabelConfig
    from pipeline.job import run_identity_for
    from pipeline.version import staging_dir

    config = PseudoLabelConfig(input=str(world / "captioned" / "*.tar"), teacher=str(teacher), output=str(root), name="tiny",
                               device="cpu")
    return Path(staging_dir(str(root / "tiny"), run_identity_for(config)))


def _wait_for(condition, process, what: str) -> None:
    import time

    deadline = time.monotonic() + 300
    while not condition():
        assert process.poll() is None, f"the job ended before {what}: {process.communicate()}"
        assert time.monotonic() < deadline, f"no {what} within 300 s"
        time.sleep(0.05)


def test_ctrl_c_is_one_line_saying_what_was_kept_and_exit_130(tiny_world, tiny_teacher, tmp_path):
    import signal

    root = tmp_path / "datasets"
    staging = _staging(tiny_world, tiny_teacher, root)
    argv = _pseudo_label_argv(tiny_world, tiny_teacher, root, "--shards-per-pipeline", "1")
    # A shell starts background jobs with SIGINT ignored, and children inherit that: restored here
    # so the test means the same however the suite was started.
    process = subprocess.Popen([sys.executable, "-m", "commands.cli", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        # Each Beam pipeline takes one shard and loads the teacher afresh: seconds in which to stop it.
        _wait_for(lambda: list(staging.glob("parts/*.json")), process, "first finished shard")
        os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C does: the whole process group
        out, err = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    kept = len(list(staging.glob("parts/*.json")))
    assert process.returncode == 130, err
    assert err == f"xpm pseudo-label: interrupted; run the same command again to resume: {kept} of 2 shards in {staging} kept\n"
    assert out == "" and kept == 1 and not list(root.glob("tiny/v*"))


def test_a_second_launch_of_a_running_job_is_refused_naming_it_or_waits_for_it(tiny_world, tiny_teacher, tmp_path, capsys):
    import socket

    from pipeline.version import lock_path
    from xpm.io.jobs import exclusive

    root = tmp_path / "datasets"
    staging = _staging(tiny_world, tiny_teacher, root)
    argv = _pseudo_label_argv(tiny_world, tiny_teacher, root)
    with exclusive(lock_path(str(staging)), busy=str):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err == (f"xpm pseudo-label: error: this run is already running (pid {os.getpid()}, host {socket.gethostname()}), "
                       f"writing {staging}; wait for it to finish, or give --wait to start when it has\n")
        waiting = subprocess.Popen([sys.executable, "-m", "commands.cli", *[a for a in argv if a != "--quiet"], "--wait"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # The waiting job says so on stderr: read it line by line until it does.
        lines = []
        for line in waiting.stderr:
            lines.append(line)
            if "waiting for the same run" in line:
                break
        assert lines and f"pseudo-label: waiting for the same run (pid {os.getpid()}" in lines[-1], lines
        assert not list(root.glob("tiny/v*"))
    out, _ = waiting.communicate(timeout=300)
    assert waiting.returncode == 0 and out.startswith(f"{root / 'tiny' / 'v1'}: "), out


def test_two_launches_at_once_make_one_version(tiny_world, tiny_teacher, tmp_path):
    root = tmp_path / "datasets"
    command = [sys.executable, "-m", "commands.cli", *_pseudo_label_argv(tiny_world, tiny_teacher, root)]
    launches = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=600), *p.communicate()) for p in launches]
    made = [out for code, out, _ in results if code == 0 and "identical" not in out]
    assert len(made) == 1, results
    other = next(r for r in results if r[1] not in made)
    # The other one found it running, or (started late) found its version.
    assert (other[0] == 2 and "is already running" in other[2]) or (other[0] == 0 and other[1].startswith(f"identical to {root / 'tiny' / 'v1'} ")), results
    assert sorted(p.name for p in (root / "tiny").iterdir()) == ["v1"]


def test_a_training_run_that_fails_before_its_first_checkpoint_leaves_no_folder(paths, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train-teacher", "--out", str(out), "--config", TEACHER_YAML, "--train-gt", paths["gt"],
            "--train-images", paths["dir"], "--split", paths["gt"]]
    assert main(argv) == 2
    assert "split" in capsys.readouterr().err
    assert not out.exists()


def test_a_packaged_config_is_named_from_any_folder_and_an_unknown_one_lists_them(tmp_path, monkeypatch, capsys):
    from commands.cli import build_parser

    monkeypatch.chdir(tmp_path)
    args = build_parser().parse_args(["train-teacher", "--out", "run", "--config", "teacher_cpu"])
    assert args.config == TEACHER_YAML
    assert main(["train-student", "--out", "run", "--config", "student_gpu"]) == 2
    assert "argument --config: student_gpu does not exist; give a YAML file or a packaged config (student_cpu, teacher_cpu)" \
        in capsys.readouterr().err


def _teacher_argv(world, out, *extra) -> list[str]:
    return ["train-teacher", "--config", "teacher_cpu", "--out", str(out), "--train-gt", str(world / "train" / "instances_base.json"),
            "--train-images", str(world / "train" / "images"), "--split", str(world / "split.json"), "--device", "cpu", *extra]


def test_imagenet_weights_from_a_state_dict_file_and_a_missing_one_named(tiny_world, tmp_path, capsys):
    import torch
    from torchvision import models

    from xpm.modeling.checkpoint import read_checkpoint

    missing = tmp_path / "resnet18-f37072fd.pth"
    assert main(_teacher_argv(tiny_world, tmp_path / "run", "--set", f"model.backbone_weights={missing}")) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"xpm train-teacher: error: backbone_weights {missing} does not exist; give a torchvision resnet18 state-dict file, "
        "'auto' (torchvision's cache when present) or 'none' (from scratch).")
    assert not (tmp_path / "run").exists()
    torch.manual_seed(0)
    weights = models.resnet18(weights=None).state_dict()  # random, of the shapes ImageNet's file has
    torch.save(weights, missing)
    assert main(_teacher_argv(tiny_world, tmp_path / "run", "--set", f"model.backbone_weights={missing}",
                              "--max-steps", "1", "--quiet")) == 0
    checkpoint = read_checkpoint(tmp_path / "run" / "model.pt")
    assert checkpoint.pretrained_backbone
    # The stem is frozen when the backbone is pretrained: after a step it still holds the file's weights.
    torch.testing.assert_close(checkpoint.state_dict["backbone.body.conv1.weight"], weights["conv1.weight"])
