import json
import os

import pytest
import yaml

from xpm.config import ConfigError
from commands.rounds.config import RoundsConfig
from commands.rounds.rounds import run_rounds


def _config(tiny_world, tiny_teacher, tiny_version, student_yaml, **changes):
    return RoundsConfig(**{"world": str(tiny_world), "teacher": str(tiny_teacher), "data": str(tiny_version), "rounds": 2,
                           "seeds": 2, "student_config": str(student_yaml), "bootstrap": 100, "device": "cpu", **changes})


@pytest.fixture(scope="module")
def rounds(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml, module_dir):
    return module_dir, run_rounds(_config(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml, labeler_seed=1), module_dir)


def test_each_round_is_a_version_labelled_by_the_previous_rounds_student(rounds, tiny_teacher, tiny_version):
    out, result = rounds
    first, second = result["rounds"]
    assert first["version"].endswith(str(tiny_version).rstrip("/").split("/")[-1]) and first["labeler"]["kind"] == "teacher"
    labeler = out / "experiment" / "runs" / "round-1" / "seed-1" / "model" / "model.pt"
    assert second["labeler"]["kind"] == "student" and second["labeler"]["path"] == str(labeler)
    assert second["labeler"]["trained_on"]["version"] == first["version"]
    assert second["version"].startswith(str(out / "datasets" / "round-2"))
    student = yaml.safe_load((out / "experiment" / "runs" / "round-2" / "seed-0" / "model" / "student_config.yaml").read_text())
    assert student["data"] == second["version"] and student["init"] == str(tiny_teacher)


def test_the_report_pairs_each_round_with_the_last_and_measures_its_labels(rounds):
    out, result = rounds
    assert json.loads((out / "rounds.json").read_text()) == result
    assert (out / "rounds.md").is_file() and (out / "rounds.png").stat().st_size > 0
    first, second = result["rounds"]
    assert first["vs_previous"] is None and second["vs_previous"]["seeds"] == [0, 1]
    runs = {run["seed"]: run["target"] for run in first["student"]["runs"]}
    later = {run["seed"]: run["target"] for run in second["student"]["runs"]}
    assert second["vs_previous"]["target"]["mean"] == pytest.approx(sum(later[s] - runs[s] for s in (0, 1)) / 2)
    for row in result["rounds"]:
        assert row["label_quality"]["all"]["labels"] > 0 and 0 <= row["label_quality"]["all"]["box_precision"] <= 1
        assert "truth-labels" in row["gap"]["claim"]
    assert set(result["controls"]) == {"truth-labels"} and set(second["seconds"]) == {"label_s", "train_eval_s"}


def test_rounds_run_again_retrain_and_relabel_nothing(rounds, tiny_world, tiny_teacher, tiny_version, tiny_student_yaml):
    out, result = rounds
    made = sorted(out.glob("experiment/runs/*/*/model/model.pt")) + sorted(out.glob("datasets/*/v*/manifest.json"))
    stamps = {path: os.stat(path).st_mtime_ns for path in made}
    again = run_rounds(_config(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml, labeler_seed=1), out)
    assert {path: os.stat(path).st_mtime_ns for path in made} == stamps
    assert sorted(out.glob("datasets/*/v*")) == sorted(path.parent for path in made if path.name == "manifest.json")
    assert [row["student"] for row in again["rounds"]] == [row["student"] for row in result["rounds"]]


def test_a_later_round_can_start_from_the_student_that_labelled_it(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml, tmp_path):
    run_rounds(_config(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml, seeds=1, controls=(), init="previous"), tmp_path)
    student = yaml.safe_load((tmp_path / "experiment" / "runs" / "round-2" / "seed-0" / "model" / "student_config.yaml").read_text())
    assert student["init"] == str(tmp_path / "experiment" / "runs" / "round-1" / "seed-0" / "model" / "model.pt")


@pytest.mark.parametrize("changes, message", [
    ({"labeler_seed": 5}, "labeler_seed=5: one of the trained seeds 0..1"),
    ({"init": "oracle"}, "init='oracle': one of teacher, previous"),
    ({"rounds": 0}, "rounds=0: at least 1"),
])
def test_settings_a_user_can_get_wrong_are_named(changes, message, tiny_world, tiny_teacher, tiny_version, tiny_student_yaml):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        _config(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml, **changes)


def test_a_teacher_control_as_the_rounds_configuration_is_refused(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml, tmp_path):
    with pytest.raises(ConfigError, match="'teacher\\+steps' is a teacher\\+steps; rounds train a student configuration"):
        run_rounds(_config(tiny_world, tiny_teacher, tiny_version, tiny_student_yaml, configuration="teacher+steps"), tmp_path / "out")
    assert not (tmp_path / "out").exists()
