import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.config import PseudoLabelConfig
from pipeline.job import run_pseudo_label
from pipeline.read.shard_reader import read_shard
from xpm.io.records import RawSample
from schemas.pseudo_label import PseudoLabels
from xpm.io.hashing import file_sha256
from xpm.io.captioned_shards import read_captioned_shard


@pytest.fixture(scope="module")
def first_run(inputs, tiny_teacher, tmp_path_factory):
    root = tmp_path_factory.mktemp("datasets")
    config = PseudoLabelConfig(input=str(inputs / "*.tar"), teacher=str(tiny_teacher), output=str(root), name="tiny", device="cpu")
    return root, config, run_pseudo_label(config)


@pytest.fixture(scope="module")
def eq2_run(first_run, tmp_path_factory):
    """The paper's rule on the same inputs: every caption noun gets a label."""
    _, config, _ = first_run
    return run_pseudo_label(dataclasses.replace(config, output=str(tmp_path_factory.mktemp("eq2")), alignment="eq2"))


def test_a_version_accounts_for_every_input_sample(first_run, bad_input_shard):
    root, _, run = first_run
    assert run.version_dir.endswith("/tiny/v1")
    _, expected = bad_input_shard
    index = pq.read_table(f"{run.version_dir}/index.parquet").to_pylist()
    rejects = pq.read_table(f"{run.version_dir}/rejects.parquet").to_pylist()
    labelled = sorted(row["key"] for row in index if row["input_shard"] == "00099")
    rejected = {row["key"]: row["reason"] for row in rejects if row["input_shard"] == "00099"}
    assert labelled == sorted(key for key, outcome in expected.items() if outcome == "ok")
    assert rejected == {key: outcome for key, outcome in expected.items() if outcome != "ok"}
    (read,) = [i["samples_read"] for i in run.manifest["lineage"]["inputs"] if i["shard"] == "00099"]
    assert read == len(expected)
    assert len(index) == run.manifest["counts"]["samples"] > len(labelled)


def test_shards_hold_original_bytes_and_valid_pseudo_labels(first_run, inputs):
    _, _, run = first_run
    originals = {}
    for tar in inputs.glob("*.tar"):
        with open(tar, "rb") as stream:
            originals.update({(tar.name, s.key): s.parts for s in read_shard(stream, tar.stem) if isinstance(s, RawSample)})
    seen = 0
    for entry in run.manifest["shards"]:
        path = f"{run.version_dir}/shards/{entry['name']}"
        assert file_sha256(path) == entry["sha256"]
        for key, parts in read_captioned_shard(path):
            labels = PseudoLabels.from_json(json.loads(parts["json"]))
            assert labels.nouns and labels.key == key
            image_ext = "png" if "png" in parts else "jpg"
            assert parts[image_ext] == originals[(entry["name"], key)][image_ext]
            seen += 1
    assert seen > 0


def test_an_identical_rerun_names_its_version_and_new_version_makes_v2_with_identical_shards(first_run, capsys):
    root, config, run = first_run
    before = {p: file_sha256(p) for p in (root / "tiny" / "v1").rglob("*") if p.is_file()}
    same = run_pseudo_label(config)
    assert (same.identical, same.version_dir) == (True, run.version_dir)
    assert not list((root / "tiny").glob("v2")) and not list((root / "tiny").glob(".staging-*"))
    again = run_pseudo_label(config, new_version=True)
    assert again.version_dir.endswith("/tiny/v2") and not again.identical
    assert [s["sha256"] for s in again.manifest["shards"]] == [s["sha256"] for s in run.manifest["shards"]]
    assert {p: file_sha256(p) for p in (root / "tiny" / "v1").rglob("*") if p.is_file()} == before  # v1 untouched


def _shard_hashes(manifest):
    return {s["name"]: s["sha256"] for s in manifest["shards"]}


def test_resume_reuses_finished_shards_and_ends_identical(first_run, tmp_path):
    root, config, run = first_run
    from pipeline.job import run_identity_for
    from pipeline.version import staging_dir

    resumed_root = tmp_path / "resumed"
    config = dataclasses.replace(config, output=str(resumed_root))
    staging = Path(staging_dir(str(resumed_root / "tiny"), run_identity_for(config)))
    # A run killed after its first shard: that shard and its record are there, a temporary
    # file of the next one is left over, nothing else.
    first = run.manifest["shards"][0]["name"].removesuffix(".tar")
    (staging / "shards").mkdir(parents=True)
    (staging / "parts").mkdir()
    shutil.copy(Path(run.version_dir) / "shards" / f"{first}.tar", staging / "shards" / f"{first}.tar")
    shutil.copy(Path(run.version_dir) / "parts" / f"{first}.json", staging / "parts" / f"{first}.json")
    (staging / "shards" / ".00001.tar.abc.partial").write_bytes(b"half a shard")
    resumed = run_pseudo_label(config)
    assert resumed.resumed_shards == 1
    assert _shard_hashes(resumed.manifest) == _shard_hashes(run.manifest)
    assert not staging.exists()
    assert not [p for p in Path(resumed.version_dir).rglob("*") if p.name.endswith(".partial")]


def test_sigkill_then_rerun_ends_identical(first_run, tmp_path):
    from pipeline.job import run_identity_for
    from pipeline.version import staging_dir

    _, config, run = first_run
    root = tmp_path / "killed"
    # One input shard per Beam pipeline: each pipeline starts the teacher afresh, which leaves
    # seconds between one shard's record and the next shard's files, time to kill the job there.
    killed = dataclasses.replace(config, output=str(root), shards_per_pipeline=1)
    staging = Path(staging_dir(str(root / "tiny"), run_identity_for(killed)))
    command = [sys.executable, "-m", "commands.cli", "pseudo-label", "--input", config.input, "--teacher", config.teacher,
               "--output", str(root), "--name", "tiny", "--device", "cpu", "--shards-per-pipeline", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not list(staging.glob("parts/*.json")):
            assert process.poll() is None, "the job ended before a shard was finished"
            assert time.monotonic() < deadline, "no shard finished within 300 s"
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    finished = sorted(path.stem for path in staging.glob("parts/*.json"))
    assert 0 < len(finished) < len(run.manifest["shards"])
    assert not list(root.glob("tiny/v*")), "the killed run must not have committed a version"
    staged = {(folder, f"{shard}.{ext}"): (staging / folder / f"{shard}.{ext}").stat()
              for shard in finished for folder, ext in (("shards", "tar"), ("parts", "json"))}

    again = run_pseudo_label(killed)
    assert again.version_dir.endswith("/tiny/v1") and again.resumed_shards == len(finished)
    version, reference = Path(again.version_dir), Path(run.version_dir)
    for (folder, name), before in staged.items():  # the very files of the killed run, not rewritten
        after = (version / folder / name).stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), name
    files = sorted(str(p.relative_to(version)) for p in version.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(reference)) for p in reference.rglob("*") if p.is_file())
    for name in files:
        if name != "manifest.json":
            assert (version / name).read_bytes() == (reference / name).read_bytes(), name
    # The manifest records the run's config, and the two runs differ in where they write and
    # in how many shards one pipeline takes; everything else in it must be the same.
    manifests = [json.loads((folder / "manifest.json").read_text()) for folder in (version, reference)]
    for manifest in manifests:
        del manifest["lineage"]["config"]["output"], manifest["lineage"]["config"]["shards_per_pipeline"]
    assert manifests[0] == manifests[1]


def test_dataset_commands_list_show_verify_and_catch_a_flipped_byte(first_run, tmp_path, capsys):
    from commands.cli import main

    root, _, run = first_run
    assert main(["dataset", "list", str(root)]) == 0
    assert "tiny/v1" in capsys.readouterr().out
    assert main(["dataset", "show", str(root / "tiny" / "v1")]) == 0
    shown = capsys.readouterr().out
    assert "nouns by frequency" in shown and "rejects by reason" in shown and "teacher" in shown
    copy = tmp_path / "tiny" / "v1"
    shutil.copytree(run.version_dir, copy)
    assert main(["dataset", "verify", str(copy)]) == 0
    shard = sorted((copy / "shards").glob("*.tar"))[1]
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01
    shard.write_bytes(bytes(data))
    assert main(["dataset", "verify", str(copy)]) == 1
    assert shard.name in capsys.readouterr().out


def test_dataset_diff_reports_lineage_nouns_and_samples(first_run, capsys):
    from pipeline.dataset.inspect import diff_versions
    from xpm.io.dataset_version import open_version

    root, _, _ = first_run
    a = open_version(str(root / "tiny" / "v1"))
    same = diff_versions(a, a)
    assert not same.nouns and not same.added and not same.removed and not same.lineage
    from commands.cli import main

    assert main(["dataset", "diff", str(root / "tiny" / "v1"), str(root / "tiny")]) == 0
    assert "samples added" in capsys.readouterr().out


def test_pseudo_label_shards_a_conceptual_captions_tsv_first(tiny_teacher, png_bomb, tmp_path, capsys):
    from PIL import Image

    from commands.cli import main

    files = tmp_path / "files"
    files.mkdir()
    for index in range(3):
        Image.new("RGB", (64, 64), (40 * index, 90, 200)).save(files / f"{index:09d}.jpg")
        (files / f"{index:09d}.json").write_text(json.dumps({"url": f"http://x/{index}.jpg"}))
    (files / "000000003.png").write_bytes(png_bomb)  # a bad row and no more
    (files / "000000003.json").write_text(json.dumps({"url": "http://x/3.png"}))
    (tmp_path / "cc.tsv").write_text("a dog on a sofa\thttp://x/0.jpg\na red bus\thttp://x/1.jpg\nno nouns here\thttp://x/2.jpg\n"
                                     "a lost cat\thttp://x/9.jpg\na huge kite\thttp://x/3.png\n")
    arguments = ["pseudo-label", "--tsv", str(tmp_path / "cc.tsv"), "--images", str(files), "--teacher", str(tiny_teacher),
                 "--output", str(tmp_path / "out"), "--name", "cc", "--device", "cpu", "--shard-size", "2"]
    assert main(arguments) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "2 samples" in out and "nouns/no_nouns: 1" in out and "source/failed_to_download: 2" in out
    assert "pseudo-label: 3 input shard(s) to label" in captured.err
    assert "pseudo-label: 3/3 shards" in captured.err and "rejects so far 3" in captured.err
    version = tmp_path / "out" / "cc" / "v1"
    manifest = json.loads((version / "manifest.json").read_text())
    assert manifest["counts"]["samples_read"] == 5  # every TSV row, those without a usable image as rejects
    details = {row["key"]: row["detail"] for row in pq.read_table(version / "rejects.parquet").to_pylist()}
    assert details["000020000"] == "image too large to decode"


def test_multi_processing_workers_give_the_same_shards(first_run, tmp_path):
    _, config, run = first_run
    other = run_pseudo_label(dataclasses.replace(config, output=str(tmp_path)),
                             ["--direct_running_mode=multi_processing", "--direct_num_workers=2"])
    assert other.manifest["lineage"]["runner"].endswith("FnApiRunner")
    assert _shard_hashes(other.manifest) == _shard_hashes(run.manifest)


def test_the_alignment_rule_is_a_recorded_setting_of_the_run(first_run, tmp_path):
    _, config, run = first_run
    objectness = run_pseudo_label(dataclasses.replace(config, output=str(tmp_path), alignment="eq2+objectness"))
    from xpm.modeling.alignment import DEFAULT_ALIGNMENT

    assert run.manifest["lineage"]["config"]["alignment"] == DEFAULT_ALIGNMENT == PseudoLabelConfig.alignment
    assert objectness.manifest["lineage"]["config"]["alignment"] == "eq2+objectness"
    assert [s["samples"] for s in objectness.manifest["shards"]] == [s["samples"] for s in run.manifest["shards"]]
    with pytest.raises(ValueError, match="alignment='softmax'.*--alignment"):
        dataclasses.replace(config, alignment="softmax")


def _records(run) -> dict[str, PseudoLabels]:
    records = {}
    for shard in run.manifest["shards"]:
        for key, parts in read_captioned_shard(Path(run.version_dir) / "shards" / shard["name"]):
            records[shard["name"], key] = PseudoLabels.from_json(json.loads(parts["json"]))
    return records


def test_a_gate_leaves_nouns_unlabeled_and_every_one_is_recorded_with_its_reason(first_run, eq2_run, tmp_path):
    _, config, _ = first_run
    run = eq2_run
    gated = run_pseudo_label(dataclasses.replace(config, output=str(tmp_path), alignment="eq2+objectness+gate+one-to-one"))
    plain, kept = _records(run), _records(gated)
    assert plain.keys() == kept.keys()
    dropped = 0
    for key, labels in kept.items():
        assert sorted([n.word for n in labels.nouns] + [n.word for n in labels.unlabeled]) == sorted(n.word for n in plain[key].nouns)
        assert {n.reason for n in labels.unlabeled} <= {"no_region_passes_gate", "no_region_left"}
        dropped += len(labels.unlabeled)
    assert dropped > 0, "the tiny teacher's gate should refuse some nouns"
    index = pq.read_table(f"{gated.version_dir}/index.parquet").to_pylist()
    assert sum(len(row["unlabeled_nouns"]) for row in index) == dropped
    assert sum(gated.manifest["counts"]["unlabeled_by_reason"].values()) == dropped
    assert gated.manifest["counts"]["nouns"] + dropped == run.manifest["counts"]["nouns"]
    assert run.manifest["counts"]["unlabeled_by_reason"] == {}
    from pipeline.dataset.inspect import label_changes
    from xpm.io.dataset_version import open_version

    changes = label_changes(open_version(run.version_dir), open_version(gated.version_dir))
    assert sum(r.removed for r in changes) == dropped and sum(r.added for r in changes) == 0
    assert label_changes(open_version(run.version_dir), open_version(run.version_dir)) == []


def test_a_calibrated_rule_keeps_its_thresholds_in_the_version_and_says_which_labels_fell_below(first_run, eq2_run, tmp_path):
    _, config, _ = first_run
    run = eq2_run
    calibrated = run_pseudo_label(dataclasses.replace(config, output=str(tmp_path), alignment="eq2+calibrated@50"))
    thresholds = json.loads((Path(calibrated.version_dir) / "alignment_thresholds.json").read_text())
    assert thresholds and all(isinstance(v, float) for v in thresholds.values())
    plain, kept = _records(run), _records(calibrated)
    below = 0
    for key, labels in kept.items():
        by_word = {n.word: n.logit for n in plain[key].nouns}
        for noun in labels.unlabeled:
            assert noun.reason == "below_calibrated_threshold"
            assert noun.logit == pytest.approx(by_word[noun.word]) and noun.logit < thresholds[noun.word]
            below += 1
        for noun in labels.nouns:
            assert noun.logit >= thresholds.get(noun.word, float("-inf")) - 1e-4
    assert below > 0
    assert calibrated.manifest["counts"]["unlabeled_by_reason"] == {"below_calibrated_threshold": below}


def test_a_label_is_added_removed_or_moved_by_its_box():
    from pipeline.dataset.inspect import sample_label_changes

    before = [("dog", (0, 0, 10, 10)), ("dog", (50, 50, 60, 60)), ("cat", (0, 0, 5, 5))]
    after = [("dog", (51, 51, 61, 61)), ("dog", (20, 20, 30, 30)), ("kite", (0, 0, 9, 9))]
    added, removed, moved = sample_label_changes(before, after)
    assert (added, removed, moved) == ({"kite": 1}, {"cat": 1}, {"dog": 1})


def test_pseudo_label_with_no_labelled_sample_is_an_error_not_a_version(tiny_teacher, tmp_path, capsys):
    from PIL import Image

    from commands.cli import main

    for index in range(2):
        Image.new("RGB", (48, 48), (90, 90, 200)).save(tmp_path / f"{index}.jpg")
    (tmp_path / "captions.tsv").write_text("no nouns here\t0.jpg\nquickly and slowly\t1.jpg\n")
    arguments = ["pseudo-label", "--tsv", str(tmp_path / "captions.tsv"), "--teacher", str(tiny_teacher),
                 "--output", str(tmp_path / "out"), "--name", "empty", "--device", "cpu", "--quiet"]
    assert main(arguments) == 2
    captured = capsys.readouterr()
    assert "no sample of the 2 read" in captured.err and "2 nouns/no_nouns" in captured.err
    assert "to label" not in captured.err  # --quiet
    dataset = tmp_path / "out" / "empty"
    assert not [p for p in dataset.iterdir() if p.name != ".sources"]


def test_a_class_list_makes_a_group_word_an_object_noun_of_the_job(tiny_teacher, tmp_path, capsys):
    """"band" is a group word xpm drops (several objects), unless the job's classes name it."""
    from PIL import Image

    from commands.cli import main

    for index in range(2):
        Image.new("RGB", (48, 48), (90, 40 * index, 200)).save(tmp_path / f"{index}.jpg")
    (tmp_path / "captions.tsv").write_text("a band and a dog on a sofa\t0.jpg\nthe band plays beside a dog\t1.jpg\n")
    common = ["pseudo-label", "--tsv", str(tmp_path / "captions.tsv"), "--teacher", str(tiny_teacher), "--output",
              str(tmp_path / "out"), "--device", "cpu", "--alignment", "eq2", "--quiet"]
    assert main([*common, "--name", "default"]) == 0
    assert main([*common, "--name", "band", "--classes", "band"]) == 0
    words = {name: {row["word"] for row in pq.read_table(tmp_path / "out" / name / "v1" / "vocab.parquet").to_pylist()}
             for name in ("default", "band")}
    assert words["default"] == {"dog", "sofa"}
    assert words["band"] == {"band", "dog", "sofa"}
    manifest = json.loads((tmp_path / "out" / "band" / "v1" / "manifest.json").read_text())
    assert manifest["lineage"]["config"]["classes"] == ["band"]
    assert main([*common, "--name", "empty", "--classes", " , "]) == 2
    assert "--classes ' , '" in capsys.readouterr().err


def test_the_noun_settings_are_part_of_the_run_identity(first_run):
    from pipeline.job import run_identity_for
    from xpm.config import ConfigError, from_dict, to_dict

    _, config, _ = first_run
    for change in ({"classes": ("band",)}, {"sense_rule": "gloss-embedding"}):
        assert run_identity_for(dataclasses.replace(config, **change)) != run_identity_for(config)
    one_list = dataclasses.replace(config, classes=("logo", "band"))
    assert run_identity_for(dataclasses.replace(config, classes=(" Band", "logo", "band"))) == run_identity_for(one_list)
    with pytest.raises(ConfigError, match="sense_rule='wordnet-first'.*lesk, gloss-embedding"):
        from_dict(PseudoLabelConfig, {**to_dict(config), "sense_rule": "wordnet-first"})


def test_runner_options_name_the_local_runner_by_default_and_spread_shards_on_dask():
    from pipeline.job import DASK_RUNNER, LOCAL_RUNNER, runner_options

    assert runner_options([]) == ([f"--runner={LOCAL_RUNNER}"], LOCAL_RUNNER)
    args, runner = runner_options(["--runner", "DaskRunner", "--dask_client_address", "tcp://h:1"])
    assert runner == DASK_RUNNER and args == [f"--runner={DASK_RUNNER}", "--dask_client_address", "tcp://h:1",
                                              "--dask_partition_size=1"]
    args, _ = runner_options(["--runner=DaskRunner", "--dask_npartitions=3"])
    assert args == [f"--runner={DASK_RUNNER}", "--dask_npartitions=3"]


def test_the_same_inputs_and_teacher_spelt_another_way_are_the_same_run(first_run, monkeypatch):
    from pipeline.job import run_identity_for

    _, config, _ = first_run
    inputs = Path(config.input).parent
    monkeypatch.chdir(inputs.parent)  # a relative glob from another folder, and a relative teacher path
    respelt = dataclasses.replace(config, input=f"{inputs.name}/*.tar", teacher=os.path.relpath(config.teacher))
    assert run_identity_for(respelt) == run_identity_for(config)
    assert run_identity_for(dataclasses.replace(config, max_pixels=1000)) != run_identity_for(config)
