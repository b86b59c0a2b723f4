import json
import shutil
from pathlib import Path

import pytest

from pipeline.config import PseudoLabelConfig
from pipeline.job import run_pseudo_label
from commands.cli import main
from xpm.io.dataset_version import open_version


@pytest.fixture
def own_version(tiny_world, tiny_teacher, tmp_path):
    """A version built from copies of the tiny world's shards and teacher, which a test may change."""
    inputs = tmp_path / "inputs"
    shutil.copytree(tiny_world / "captioned", inputs)
    teacher = tmp_path / "teacher.pt"
    shutil.copy(tiny_teacher, teacher)
    config = PseudoLabelConfig(input=str(inputs / "*.tar"), teacher=str(teacher), output=str(tmp_path / "datasets"),
                               name="own", device="cpu")
    return run_pseudo_label(config).version_dir, inputs, teacher


def test_reproduce_of_a_version_exits_0(tiny_version, tmp_path, capsys):
    assert main(["dataset", "reproduce", str(tiny_version), "--out", str(tmp_path / "again"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "code commit: built at " in out
    assert out.rstrip().endswith(f"{tiny_version}: reproduced; all 2 shard(s) of {tmp_path / 'again' / 'tiny' / 'v1'} match its sha256")


def test_one_byte_of_the_labeler_changed_exits_1_naming_it(own_version, tmp_path, capsys):
    version, _, teacher = own_version
    data = bytearray(teacher.read_bytes())
    data[len(data) // 2] ^= 1
    teacher.write_bytes(bytes(data))
    assert main(["dataset", "reproduce", version, "--out", str(tmp_path / "again"), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert f"DIFFERS: labeler (teacher) {teacher}: sha256 " in out and "the lineage records" in out
    assert not (tmp_path / "again" / "own").exists()


def test_a_missing_input_exits_1_naming_it(own_version, tmp_path, capsys):
    version, inputs, _ = own_version
    (inputs / "00001.tar").unlink()
    assert main(["dataset", "reproduce", version, "--out", str(tmp_path / "again"), "--quiet"]) == 1
    assert f"DIFFERS: input 00001 {inputs / '00001.tar'}: missing" in capsys.readouterr().out


def test_a_shard_that_rebuilds_differently_is_named_with_what_may_explain_it(tiny_version, tmp_path, capsys):
    # A copy whose manifest records another hash for one shard: as if built on another machine.
    copy = tmp_path / "elsewhere" / "tiny" / "v1"
    shutil.copytree(tiny_version, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["shards"][1]["sha256"] = "f" * 64
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert main(["dataset", "reproduce", str(copy), "--out", str(tmp_path / "again"), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert f"DIFFERS: shards/{manifest['shards'][1]['name']}: sha256 " in out and "the version has ffffffffffff" in out
    assert "the device and thread count the teacher ran with" in out


def test_a_derived_version_reproduces_from_its_source(tiny_version, tmp_path, capsys):
    source = tmp_path / "datasets" / "tiny" / "v1"
    shutil.copytree(tiny_version, source)
    word = open_version(str(source)).vocab[0]["word"]
    assert main(["dataset", "derive", str(source), "--drop-nouns", word]) == 0
    derived = source.parent / "v2"
    capsys.readouterr()
    assert main(["dataset", "reproduce", str(derived), "--out", str(tmp_path / "again"), "--quiet"]) == 0
    assert "reproduced; all 2 shard(s)" in capsys.readouterr().out
    # The source changed under it: the derived version can no longer be rebuilt from it.
    (source / "shards" / "00000.tar").write_bytes(b"")
    assert main(["dataset", "reproduce", str(derived), "--out", str(tmp_path / "third"), "--quiet"]) == 1
    assert "DIFFERS: source version shard " in capsys.readouterr().out


def test_a_rebuild_into_the_dataset_it_checks_is_refused(tiny_version, capsys):
    root = Path(tiny_version).parent.parent
    assert main(["dataset", "reproduce", str(tiny_version), "--out", str(root), "--quiet"]) == 2
    assert "the rebuild would become the next version of the dataset it is compared with" in capsys.readouterr().err
    assert sorted(p.name for p in Path(tiny_version).parent.iterdir()) == ["v1"]
