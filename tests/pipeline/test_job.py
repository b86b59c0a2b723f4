import json
import shutil

import pyarrow.parquet as pq
import pytest

from pipeline.config import PseudoLabelConfig
from pipeline.job import run_pseudo_label
from pipeline.read.shard_reader import read_shard
from pipeline.records import RawSample
from schemas.pseudo_label import PseudoLabels
from xpm.io.hashing import file_sha256
from xpm.io.captioned_shards import read_captioned_shard


@pytest.fixture(scope="module")
def inputs(tiny_world, bad_input_shard, tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    for tar in sorted((tiny_world / "captioned").glob("*.tar")):
        shutil.copy(tar, folder / tar.name)
    shutil.copy(bad_input_shard[0], folder / "00099.tar")
    return folder


@pytest.fixture(scope="module")
def first_run(inputs, tiny_teacher, tmp_path_factory):
    root = tmp_path_factory.mktemp("datasets")
    config = PseudoLabelConfig(input=str(inputs / "*.tar"), teacher=str(tiny_teacher), output=str(root), name="tiny", device="cpu")
    return root, config, run_pseudo_label(config)


def test_a_version_accounts_for_every_input_sample(first_run, bad_input_shard):
    root, _, run = first_run
    assert run.version_dir.endswith("/tiny/v1")
    counts = run.manifest["counts"]
    assert counts["samples"] + counts["rejects"] == counts["samples_read"]
    rejects = pq.read_table(f"{run.version_dir}/rejects.parquet").to_pylist()
    bad = {r["key"]: r["reason"] for r in rejects if r["input_shard"] == "00099"}
    _, expected = bad_input_shard
    for key, outcome in expected.items():
        if outcome != "ok":
            assert bad.get(key) == outcome, key
    index = pq.read_table(f"{run.version_dir}/index.parquet").to_pylist()
    assert len(index) == counts["samples"] and counts["samples"] > 0


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


def test_a_second_run_makes_v2_with_identical_shards(first_run):
    root, config, run = first_run
    again = run_pseudo_label(config)
    assert again.version_dir.endswith("/tiny/v2")
    assert [s["sha256"] for s in again.manifest["shards"]] == [s["sha256"] for s in run.manifest["shards"]]
    assert (root / "tiny" / "v1" / "manifest.json").is_file()  # v1 untouched
