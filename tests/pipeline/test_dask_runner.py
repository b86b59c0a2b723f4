"""The pseudo-labeling job on a real Dask cluster through Beam's DaskRunner: a scheduler and two
single-threaded worker processes on 127.0.0.1, as on many machines. The version must be the
local runner's, byte for byte, and a worker killed mid-job must change nothing."""

import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.dask_cluster import ONE_THREAD, LocalDaskCluster

pytestmark = pytest.mark.slow

ENV = {**os.environ, **ONE_THREAD}


@pytest.fixture
def cluster(tmp_path):
    with LocalDaskCluster(tmp_path / "cluster") as running:
        yield running


def _pseudo_label(inputs: Path, teacher: Path, output: Path, *beam: str, wait: bool = True):
    argv = [sys.executable, "-m", "commands.cli", "pseudo-label", "--input", str(inputs / "*.tar"), "--teacher", str(teacher),
            "--output", str(output), "--name", "tiny", "--device", "cpu", "--quiet", *beam]
    if not wait:
        return subprocess.Popen(argv, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    result = subprocess.run(argv, env=ENV, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return output / "tiny" / "v1"


def _assert_same_version(local: Path, other: Path) -> None:
    files = sorted(p.relative_to(local) for p in local.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(other) for p in other.rglob("*") if p.is_file())
    for name in files:
        if name.name != "manifest.json":
            assert (local / name).read_bytes() == (other / name).read_bytes(), name
    a, b = (json.loads((v / "manifest.json").read_text()) for v in (local, other))
    for manifest in (a, b):
        del manifest["lineage"]["runner"], manifest["lineage"]["config"]["output"]
    assert a == b
    counts = a["counts"]
    assert counts["samples"] + counts["rejects"] == counts["samples_read"] > 0


@pytest.fixture(scope="module")
def many_inputs(inputs, tmp_path_factory):
    """Eight shards, so both workers are busy when one is killed."""
    folder = tmp_path_factory.mktemp("many_inputs")
    sources = sorted(inputs.glob("*.tar"))
    for index in range(8):
        source = sources[index % len(sources)]
        shutil.copy(source, folder / f"{index:05d}.tar")
        if source.with_suffix(".parquet").exists():
            shutil.copy(source.with_suffix(".parquet"), folder / f"{index:05d}.parquet")
    return folder


@pytest.fixture(scope="module")
def local_version(many_inputs, tiny_teacher, tmp_path_factory):
    return _pseudo_label(many_inputs, tiny_teacher, tmp_path_factory.mktemp("local"))


def test_dask_runner_writes_the_local_runners_version(cluster, many_inputs, tiny_teacher, local_version, tmp_path):
    version = _pseudo_label(many_inputs, tiny_teacher, tmp_path / "dask", "--runner", "DaskRunner",
                            "--dask_client_address", cluster.address)
    _assert_same_version(local_version, version)
    manifest = json.loads((version / "manifest.json").read_text())
    assert manifest["lineage"]["runner"] == "apache_beam.runners.dask.dask_runner.DaskRunner"
    # Every worker took part (the shards were spread, one per Dask partition) and loaded the
    # teacher once.
    # (A lambda: cloudpickle sends it by value; the workers cannot import this test module.)
    loaded = cluster.client.run(lambda: len(importlib.import_module("pipeline.whole_shard")._TEACHERS))
    assert list(loaded.values()) == [1, 1]


def test_a_worker_killed_mid_job_changes_nothing(cluster, many_inputs, tiny_teacher, local_version, tmp_path):
    output = tmp_path / "dask"
    job = _pseudo_label(many_inputs, tiny_teacher, output, "--runner", "DaskRunner", "--dask_client_address", cluster.address,
                        wait=False)
    pids = cluster.client.run(os.getpid)
    deadline = time.monotonic() + 300
    # The known point: the first input shard's record is in the staging folder, so the job is
    # under way, and a worker with a shard in hand is killed.
    while not list(output.glob("tiny/.staging-*/parts/*.json")):
        assert job.poll() is None and time.monotonic() < deadline, job.stderr.read() if job.poll() is not None else "timeout"
        time.sleep(0.05)
    busy = [address for address, tasks in cluster.client.processing().items() if tasks]
    assert busy, "no worker had work left when the first shard was done"
    os.kill(pids[busy[0]], signal.SIGKILL)
    _, err = job.communicate(timeout=600)
    committed = output / "tiny" / "v1"
    if job.returncode != 0:
        # Failing is allowed, with a clear error, and nothing committed; the rerun finishes it.
        assert "Traceback" not in err.splitlines()[-1] and not committed.exists()
        _pseudo_label(many_inputs, tiny_teacher, output, "--runner", "DaskRunner", "--dask_client_address", cluster.address)
    assert not list(output.glob("tiny/.staging-*"))
    _assert_same_version(local_version, committed)
