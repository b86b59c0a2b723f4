import json

import numpy as np
import pytest
import yaml

from xpm.config import ConfigError
from commands.experiment.config import ExperimentConfig
from commands.experiment.experiment import run_experiment

CONFIGURATIONS = ("gt+x+m", "gt+x+m+alpha", "shuffled", "truth-labels", "teacher+steps")


def _config(tiny_world, tiny_teacher, tiny_version, student_yaml, **changes):
    return ExperimentConfig(**{"world": str(tiny_world), "teacher": str(tiny_teacher), "data": str(tiny_version),
                               "configurations": CONFIGURATIONS, "seeds": 2, "student_config": str(student_yaml),
                               "bootstrap": 100, "device": "cpu", **changes})


@pytest.fixture(scope="module")
def experiment(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml, module_dir):
    return module_dir, run_experiment(_config(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml), module_dir)


def test_experiment_writes_the_contract(experiment):
    out, summary = experiment
    assert json.loads((out / "experiment.json").read_text()) == summary
    assert (out / "experiment.md").is_file() and (out / "experiment.png").stat().st_size > 0
    assert set(summary["configs"]) == {"teacher", *CONFIGURATIONS}
    for name in CONFIGURATIONS:
        entry = summary["configs"][name]
        assert entry["seeds"] == [0, 1] and [run["seed"] for run in entry["runs"]] == [0, 1]
        for group in ("base", "target"):
            values = [run[group] for run in entry["runs"]]
            assert entry[group]["mean"] == pytest.approx(np.mean(values))
            low, high = entry[group]["ci95"]
            assert low <= entry[group]["mean"] <= high
            # the combined interval is at least as wide as each of its parts
            assert high - low >= entry[group]["ci95_seeds"][1] - entry[group]["ci95_seeds"][0] - 1e-9
            assert high - low >= entry[group]["ci95_images"][1] - entry[group]["ci95_images"][0] - 1e-9
    assert summary["configs"]["teacher"]["seeds"] == [0]
    assert {"1", "3"} <= set(summary["claims"]) and "2 (truth-labels)" in summary["claims"]
    assert "t interval over seeds" in summary["interval_method"] and "bootstrap over test images" in summary["interval_method"]
    assert summary["part"] == "test" and summary["images"] == 12


def test_differences_are_paired_by_seed(experiment):
    _, summary = experiment
    runs = {name: {run["seed"]: run for run in entry["runs"]} for name, entry in summary["configs"].items()}
    pair = summary["paired"]["gt+x+m+alpha-gt+x+m"]
    assert pair["seeds"] == [0, 1]
    differences = [runs["gt+x+m+alpha"][s]["target"] - runs["gt+x+m"][s]["target"] for s in (0, 1)]
    assert pair["target"]["mean"] == pytest.approx(np.mean(differences))
    # against the teacher, trained once, every seed pairs with its one run
    teacher = runs["teacher"][0]["target"]
    assert summary["paired"]["shuffled-teacher"]["target"]["mean"] == pytest.approx(
        np.mean([runs["shuffled"][s]["target"] - teacher for s in (0, 1)]))


def test_runs_are_evaluated_on_test_and_controls_train_what_they_say(experiment, tiny_world):
    out, _ = experiment
    for name in CONFIGURATIONS:
        meta = json.loads((out / "runs" / name / "seed-1" / "eval.json").read_text())["meta"]
        assert meta["part"] == "test" and meta["gt"] == str(tiny_world / "test" / "instances.json")
    student = yaml.safe_load((out / "runs" / "truth-labels" / "seed-1" / "model" / "student_config.yaml").read_text())
    assert student["labels"] == "truth" and student["truth_gt"].endswith("captioned/instances_all.json")
    assert student["engine"]["seed"] == 1
    teacher = yaml.safe_load((out / "runs" / "teacher+steps" / "seed-0" / "model" / "teacher_config.yaml").read_text())
    assert teacher["optim"]["max_steps"] == 2 and teacher["init"] and not teacher["oracle"] and teacher["captioned"]


def test_resuming_retrains_and_reevaluates_nothing(experiment, tiny_world, tiny_teacher, tiny_version, tiny_student_yaml,
                                                    monkeypatch):
    import trainers.evaluation.evaluate as evaluate
    import trainers.student.train as student_train
    import trainers.teacher.train as teacher_train

    out, summary = experiment
    models = sorted(out.glob("runs/*/seed-*/model/model.pt"))
    assert len(models) == 2 * len(CONFIGURATIONS)
    stamps = {path: path.stat().st_mtime_ns for path in models}

    def forbidden(*args, **kwargs):
        raise AssertionError("a finished run was trained or evaluated again")

    monkeypatch.setattr(evaluate, "evaluate_checkpoint", forbidden)
    monkeypatch.setattr(student_train, "start_loop", forbidden)
    monkeypatch.setattr(teacher_train, "start_loop", forbidden)
    again = run_experiment(_config(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml), out)
    assert again == summary
    assert {path: path.stat().st_mtime_ns for path in models} == stamps


def test_an_interrupted_experiment_does_only_what_is_missing(experiment, tiny_world, tiny_teacher, tiny_version,
                                                             tiny_student_yaml, tmp_path, monkeypatch):
    import os
    import shutil

    import trainers.evaluation.evaluate as evaluate

    source, _ = experiment
    out = tmp_path / "copy"
    # Checkpoints are linked, not copied (1.7 GB): a finished run's are never written again.
    shutil.copytree(source, out, copy_function=lambda s, d: os.link(s, d) if s.endswith(".pt") else shutil.copy2(s, d))
    shutil.rmtree(out / "runs" / "gt+x+m" / "seed-1")
    (out / "runs" / "shuffled" / "seed-0" / "eval.json").unlink()
    evaluated = []
    real = evaluate.evaluate_checkpoint
    monkeypatch.setattr(evaluate, "evaluate_checkpoint", lambda model, *a, **k: evaluated.append(model) or real(model, *a, **k))
    run_experiment(_config(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml), out)
    assert sorted(str(p).split("/runs/")[1] for p in evaluated) == ["gt+x+m/seed-1/model/model.pt", "shuffled/seed-0/model/model.pt"]


def test_inputs_are_checked_before_any_run(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml, tmp_path):
    with pytest.raises(ConfigError, match="teacher checkpoint .* does not exist"):
        run_experiment(_config(tiny_world, tmp_path / "none.pt", tiny_version, tiny_student_yaml), tmp_path / "a")
    with pytest.raises(ConfigError, match="not a dataset version"):
        run_experiment(_config(tiny_world, tiny_teacher, tmp_path, tiny_student_yaml), tmp_path / "b")
    with pytest.raises(ConfigError, match="'nonsense' is not in"):
        run_experiment(_config(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml, configurations=("nonsense",)),
                       tmp_path / "c")
    with pytest.raises(ValueError, match="part='train'"):
        _config(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml, part="train")
    assert not (tmp_path / "a").exists() and not (tmp_path / "c" / "runs").exists()


def test_a_failing_run_is_named_and_the_others_finish(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml, tmp_path,
                                                      monkeypatch):
    import commands.experiment.experiment as experiment_module

    real = experiment_module.do_run

    def out_of_memory_for_seed_1(spec):
        if spec.seed == 1 and spec.configuration.name == "gt+x+m":
            raise RuntimeError("CUDA out of memory")
        return real(spec)

    monkeypatch.setattr(experiment_module, "do_run", out_of_memory_for_seed_1)
    config = _config(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml, configurations=("gt+x+m", "gt+x"))
    with pytest.raises(RuntimeError, match=r"1 of 5 runs failed: gt\+x\+m seed 1 \(RuntimeError: CUDA out of memory\).*"
                                           r"run the same command again"):
        run_experiment(config, tmp_path / "out")
    runs = tmp_path / "out" / "runs"
    assert sorted(str(p.parent.relative_to(runs)) for p in runs.glob("*/*/eval.json")) == [
        "gt+x+m/seed-0", "gt+x/seed-0", "gt+x/seed-1"]


def test_runs_in_worker_processes_give_what_runs_in_process_give(experiment, tiny_world, tiny_teacher, tiny_version,
                                                                 tiny_student_yaml, tmp_path):
    """Each worker may start processes of its own: here a data loader's."""
    _, summary = experiment
    loaders = yaml.safe_load(tiny_student_yaml.read_text())
    loaders["engine"]["num_workers"] = 1
    (tmp_path / "student.yaml").write_text(yaml.safe_dump(loaders))
    config = _config(tiny_world, tiny_teacher, tiny_version, tmp_path / "student.yaml", configurations=("gt+x+m",), workers=2)
    in_workers = run_experiment(config, tmp_path / "workers")
    assert in_workers["configs"]["gt+x+m"]["runs"] == summary["configs"]["gt+x+m"]["runs"]
    assert in_workers["configs"]["teacher"]["runs"] == summary["configs"]["teacher"]["runs"]


def test_a_wrong_override_is_named_before_any_run(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml, tmp_path):
    configurations = tmp_path / "configurations.yaml"
    configurations.write_text("bad: {kind: student, set: {reliability: nonsense}}\n")
    config = _config(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml, configurations=("bad",),
                     configurations_file=str(configurations))
    with pytest.raises(ConfigError, match="configuration bad: .*reliability='nonsense'"):
        run_experiment(config, tmp_path / "out")
    assert not (tmp_path / "out" / "runs").exists()


def test_every_packaged_configuration_is_a_valid_run(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml):
    from commands.experiment.config import packaged_configurations_path, read_configurations
    from commands.experiment.runs import student_config

    names = tuple(yaml.safe_load(packaged_configurations_path().read_text()))
    config = _config(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml, configurations=names)
    # A teacher kind's budget is a student config too.
    built = {c.name: student_config(config, c, 0) for c in read_configurations(None, names)}
    assert built["gt+x+m+alpha+ema"].optim.ema_decay == 0.99
    assert built["gt+x+m+alpha+long"].optim.max_steps == 600 and built["gt+x+m+alpha+batch8"].caption_batch_size == 8
    assert built["teacher+steps+long"].optim == built["gt+x+m+alpha+long"].optim


def test_a_teacher_kind_trains_for_the_budget_its_configuration_sets(tiny_world, tiny_teacher, tiny_version,
                                                                     tiny_student_yaml, tmp_path):
    from commands.experiment.config import read_configurations
    from commands.experiment.runs import _teacher_config

    configurations = tmp_path / "configurations.yaml"
    configurations.write_text("long: {kind: teacher+steps, set: {optim: {max_steps: 7, lr: 0.0005}}}\n"
                              "plain: {kind: teacher+steps}\n"
                              "labels: {kind: oracle, set: {labels: truth}}\n")
    config = _config(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml, configurations_file=str(configurations))
    long, plain = read_configurations(configurations, ("long", "plain"))
    built = {c.name: _teacher_config(config, c, 0, gt=tiny_world / "train" / "instances_base.json",
                                     images=tiny_world / "train" / "images", oracle=False) for c in (long, plain)}
    assert (built["long"].optim.max_steps, built["long"].optim.lr) == (7, 0.0005)
    assert built["plain"].optim.max_steps == 2  # the student YAML's budget
    with pytest.raises(ConfigError, match="labels: kind oracle sets only the student budget .*optim, caption_batch_size"):
        read_configurations(configurations, ("labels",))


def test_sigterm_to_the_experiment_alone_stops_its_workers_too(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml,
                                                               tmp_path):
    """A scheduler stops a job with SIGTERM to its process: the runs in worker processes stop with
    it, and it ends as Ctrl-C does."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "stopped"
    argv = ["experiment", "--out", str(out), "--world", str(tiny_world), "--teacher", str(tiny_teacher), "--data",
            str(tiny_version), "--configurations", "gt+x+m", "--seeds", "2", "--steps", "200", "--student-config",
            str(tiny_student_yaml), "--workers", "2", "--device", "cpu", "--bootstrap", "100", "--quiet"]
    process = subprocess.Popen([sys.executable, "-m", "commands.cli", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not list(out.glob("runs/gt+x+m/seed-*/model")):  # a worker is training
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no run started within 300 s"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=120)
        assert process.returncode == 130, err
        assert err.endswith("xpm experiment: interrupted; run the same command again to resume\n"), err
        deadline = time.monotonic() + 60
        while True:  # the workers are gone with it: nothing of the job's process group is left
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                break
            assert time.monotonic() < deadline, "the experiment's workers outlived it"
            time.sleep(0.1)
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_runs_of_two_folders_pair_as_the_experiment_pairs_them(experiment, tiny_world, tmp_path):
    """scripts/compare_runs.py, for runs in different experiment or rounds folders."""
    import subprocess
    import sys
    from pathlib import Path

    out, summary = experiment
    script = Path(__file__).resolve().parents[3] / "scripts" / "compare_runs.py"
    result = subprocess.run([sys.executable, str(script), "--world", str(tiny_world), "--bootstrap", "100", "--json",
                             str(tmp_path / "c.json"), f"a={out / 'runs' / 'gt+x+m+alpha'}", f"b={out / 'runs' / 'truth-labels'}"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    compared = json.loads((tmp_path / "c.json").read_text())
    expected = summary["paired"]["gt+x+m+alpha-truth-labels"]
    assert compared["paired"]["a-b"] == json.loads(json.dumps(expected)) and expected["seeds"] == [0, 1]
    assert compared["configs"]["a"]["runs"] == summary["configs"]["gt+x+m+alpha"]["runs"]
