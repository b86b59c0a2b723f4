import json
import xml.etree.ElementTree as ElementTree

import pytest
from PIL import Image

from schemas.split import read_split
from commands.cli import main
from commands.demo.claims import check_claims
from commands.demo.oracle_data import CAPTIONED_PREFIX, build_oracle_data


def _result(base: float, target: float) -> dict:
    return {"segm": {"generalized": {"base": base, "target": target, "all": (base + target) / 2}}}


def test_claims_follow_the_numbers():
    holds = check_claims({"teacher": _result(50, 2), "student": _result(49, 30), "gt+x+m": _result(49, 25), "oracle": _result(52, 40)})
    assert [claim.holds for claim in holds] == [True, True, True]
    fails = check_claims({"teacher": _result(50, 2), "student": _result(47, 6), "gt+x+m": _result(49, 8), "oracle": _result(52, 40)})
    assert [claim.holds for claim in fails] == [False, False, False]
    assert "(-3.0)" in fails[0].evidence and "closed 11%" in fails[1].evidence
    assert len(check_claims({"teacher": _result(50, 2), "student": _result(49, 30)})) == 1
    # Claim (1) is one-sided: the student must not pay for target gains with base AP, and a base
    # gain is no failure.
    assert check_claims({"teacher": _result(50, 2), "student": _result(58, 30)})[0].holds
    assert "base loses <= 2" in holds[0].name


def test_oracle_data_has_captioned_truth_of_base_and_target(tiny_world, tmp_path):
    split = read_split(tiny_world / "split.json")
    gt_path, images = build_oracle_data(tiny_world, split, tmp_path / "oracle")
    data = json.loads(gt_path.read_text())
    assert [c["name"] for c in data["categories"]] == list(split.base + split.target)
    train = json.loads((tiny_world / "train" / "instances_base.json").read_text())
    truth = json.loads((tiny_world / "captioned" / "instances_all.json").read_text())
    assert len(data["images"]) == len(train["images"]) + len(truth["images"])
    assert all((images / image["file_name"]).is_file() for image in data["images"])
    captioned = {image["id"] for image in data["images"] if image["file_name"].startswith(CAPTIONED_PREFIX)}
    names = {c["id"]: c["name"] for c in truth["categories"]}
    kept = [a for a in truth["annotations"] if names[a["category_id"]] in split.base + split.target]
    assert sum(1 for a in data["annotations"] if a["image_id"] in captioned) == len(kept)
    assert build_oracle_data(tiny_world, split, tmp_path / "oracle") == (gt_path, images)


@pytest.mark.slow
def test_quick_demo_runs_every_stage_and_resumes(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out), "--device", "cpu"]) == 0
    first = capsys.readouterr().out
    assert "written by the Beam pipeline" in first
    report = (out / "report.md").read_text()
    for section in ("## Table 2 layout", "## The paper's claims", "## Pseudo labels", "## Noise levels"):
        assert section in report
    results = json.loads((out / "results.json").read_text())
    assert set(results["table2"]) == {"teacher", "student"}
    assert results["claims"][0]["name"].startswith("(1)")
    assert results["eta"] is None and results["device"] == "cpu"
    assert "no eta to calibrate" in report and not (out / "students" / "calibration").exists()
    assert {"base", "target", "all"} <= set(results["pseudo_labels"])
    signals = results["reliability"]["signals"]
    assert list(signals) == ["noise", "class-score", "agreement", "noise+agreement", "class-score+agreement"]
    labelled = sum(signals["agreement"]["all"][f"{status}_labels"] for status in ("correct", "misplaced", "absent"))
    assert labelled > 0 and "Does a reliability weight tell right pseudo labels from wrong ones?" in report
    assert "| all | `agreement` |" in report
    for chart in ("per_class_ap50", "pseudo_label_quality", "reliability_weights", "training_curves"):
        assert ElementTree.parse(out / f"{chart}.svg").getroot().tag.endswith("svg")
        with Image.open(out / f"{chart}.png") as picture:
            assert picture.width > 300
        assert f"]({chart}.png)" in report
    # TensorBoard logs of every training run, beside its losses.csv
    for run in ("teacher", "students/gt+x+m+alpha"):
        assert list((out / run).glob("events.out.tfevents.*")), run
    with Image.open(out / "noise_sheet.png") as sheet:
        assert sheet.width > 200 and sheet.height > 200
    assert (out / "datasets" / "world" / "v1" / "manifest.json").is_file()
    paper = json.loads((out / "datasets" / "world-eq2" / "v1" / "manifest.json").read_text())
    assert paper["lineage"]["config"]["alignment"] == "eq2"
    quality = json.loads((out / "pseudo_label_quality.json").read_text())
    assert quality["alignment"] != "eq2" and quality["paper"]["alignment"] == "eq2"
    # The paper's rule gives every caption noun a box, so it keeps at least as many labels.
    assert quality["paper"]["summary"]["all"]["labels"] >= quality["summary"]["all"]["labels"] > 0
    assert f"| target | `{quality['alignment']}` |" in report and "| target | `eq2` |" in report
    evaluated = (out / "students" / "gt+x+m+alpha" / "eval.json").stat().st_mtime_ns

    assert main(["demo", "--quick", "--out", str(out), "--device", "cpu"]) == 0
    second = capsys.readouterr().out
    assert "world: " in second and "(reused)" in second
    assert "teacher: " in second and second.count("(reused)") >= 4
    assert not (out / "datasets" / "world" / "v2").exists() and not (out / "datasets" / "world-eq2" / "v2").exists()
    assert (out / "students" / "gt+x+m+alpha" / "eval.json").stat().st_mtime_ns == evaluated


def test_eta_is_calibrated_once_for_a_student_with_a_constant_eta(tiny_world, tiny_teacher, tiny_version, tmp_path):
    from dataclasses import replace

    from commands.demo import stages
    from commands.demo.config import QUICK, DemoConfig

    assert stages.robust_alpha_scale() == "batch-mean"
    sizes, config = replace(QUICK, calibration_images=6), DemoConfig(device="cpu")
    first = stages.calibrate_eta_stage(config, sizes, tiny_world, tiny_teacher, tiny_version, tmp_path / "calibration")
    assert first["eta"] > 0 and first["images"] > 0
    assert stages.calibrate_eta_stage(config, sizes, tiny_world, tiny_teacher, tiny_version, tmp_path / "calibration") == first
    student = stages.student_config(config, sizes, tiny_world, tiny_teacher, tiny_version, losses="gt+x+m+alpha", eta=first["eta"])
    assert student.eta == first["eta"]


def test_the_demo_reuses_its_own_version_but_not_one_derived_from_it(tiny_world, tiny_teacher, tiny_version, tmp_path,
                                                                       monkeypatch):
    import shutil
    from pathlib import Path
    from types import SimpleNamespace

    import pipeline.job
    from commands.demo import stages
    from commands.demo.config import DemoConfig

    root = tmp_path / "datasets"
    shutil.copytree(tiny_version, root / "world" / "v1")
    monkeypatch.setattr(pipeline.job, "run_pseudo_label", lambda config: SimpleNamespace(version_dir=str(tmp_path / "new")))
    assert stages.pseudo_label_stage(DemoConfig(device="cpu"), tiny_world, tiny_teacher, root) == (root / "world" / "v1", True)
    manifest_path = root / "world" / "v1" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["lineage"]["derived_from"] = {"version": "elsewhere/v1", "filter": {"drop_nouns": ["dog"]}}
    manifest_path.write_text(json.dumps(manifest))
    assert stages.pseudo_label_stage(DemoConfig(device="cpu"), tiny_world, tiny_teacher, root) == (Path(tmp_path / "new"), False)
