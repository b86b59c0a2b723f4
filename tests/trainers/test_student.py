import pytest
import torch

from trainers.engine.config import EngineConfig, OptimConfig
from trainers.engine.loss_log import read_loss_log
from trainers.student.config import StudentConfig
from trainers.engine.training_run import LOSS_LOG_NAME
from trainers.evaluation.evaluate import evaluate_checkpoint
from trainers.student.train import train_student
from xpm.modeling.checkpoint import read_checkpoint


def _config(tiny_world, tiny_teacher, tiny_version, **changes) -> StudentConfig:
    base = dict(
        data=tiny_version, base_gt=str(tiny_world / "train" / "instances_base.json"),
        base_images=str(tiny_world / "train" / "images"), split=str(tiny_world / "split.json"), init=str(tiny_teacher),
        caption_batch_size=2, shuffle_buffer=4,
        optim=OptimConfig(optimizer="adamw", lr=1e-3, warmup_steps=1, schedule="constant", max_steps=4, batch_size=2),
        engine=EngineConfig(device="cpu", num_workers=0, checkpoint_every=2),
    )
    return StudentConfig(**{**base, **changes})


@pytest.mark.parametrize("losses", ["gt+x", "gt+x+m", "gt+x+m+alpha"])
def test_student_trains_logs_every_term_and_evaluates(tiny_world, tiny_teacher, tiny_version, tmp_path, losses):
    run = train_student(_config(tiny_world, tiny_teacher, tiny_version, losses=losses), tmp_path, progress=False)
    rows = read_loss_log(tmp_path / LOSS_LOG_NAME)
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
    assert {"loss_classifier", "loss_mask", "loss_cross_modal", "mean_alpha", "mean_noise"} <= set(rows[0])
    assert ("loss_pseudo_mask" in rows[0]) == ("+m" in losses)
    assert all(torch.isfinite(torch.tensor(r["total"])) for r in rows)
    checkpoint = read_checkpoint(run.model_path)
    assert "noise_head" in checkpoint.training
    result = evaluate_checkpoint(run.model_path, tiny_world / "val" / "instances.json", tiny_world / "val" / "images",
                                 tiny_world / "split.json", device="cpu", batch_size=4)
    assert set(result["segm"]["generalized"]) == {"base", "target", "all"}


def test_student_resumes_from_its_last_checkpoint(tiny_world, tiny_teacher, tiny_version, tmp_path):
    import dataclasses

    full = _config(tiny_world, tiny_teacher, tiny_version)
    short = dataclasses.replace(full, optim=dataclasses.replace(full.optim, max_steps=2))
    train_student(short, tmp_path, progress=False)
    (tmp_path / "model.pt").unlink()
    (tmp_path / "student_config.yaml").unlink()
    resumed = train_student(full, tmp_path, progress=False)
    assert resumed.resumed_from == 2 and resumed.steps == 4
    assert [r["step"] for r in read_loss_log(tmp_path / LOSS_LOG_NAME)] == [1, 2, 3, 4]


def test_two_process_gloo_ddp_runs_with_equal_batches(tiny_world, tiny_teacher, tiny_version, tmp_path):
    import json
    import subprocess
    import sys

    config = _config(tiny_world, tiny_teacher, tiny_version)
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517",
        "-m", "xpm.cli", "train-student", "--out", str(tmp_path), "--quiet", "--device", "cpu",
        "--data", config.data, "--base-gt", config.base_gt, "--base-images", config.base_images,
        "--split", config.split, "--init", config.init, "--max-steps", "3",
        "--set", "caption_batch_size=2", "--set", "shuffle_buffer=4", "--set", "optim.batch_size=2",
        "--set", "optim.optimizer=adamw", "--set", "optim.lr=0.001", "--set", "optim.warmup_steps=1",
        "--set", "engine.num_workers=0",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "distributed.json").read_text())
    assert report == {"world_size": 2, "batches_per_rank": [3, 3]}
    assert [r["step"] for r in read_loss_log(tmp_path / LOSS_LOG_NAME)] == [1, 2, 3]


def test_calibrate_eta_is_the_smallest_per_image_noise(tiny_world, tiny_teacher, tiny_version, tmp_path):
    from trainers.student.calibrate_eta import calibrate_eta

    run = train_student(_config(tiny_world, tiny_teacher, tiny_version), tmp_path, progress=False)
    result = calibrate_eta(run.model_path, tiny_version, images=6, device="cpu")
    assert result["images"] >= 1
    assert 0 < result["eta"] <= result["median_noise"] <= result["max_noise"]
