import json

import pytest
import torch

from trainers.engine.config import EngineConfig, OptimConfig
from trainers.engine.loss_log import read_loss_log
from trainers.student.config import StudentConfig
from trainers.engine.training_run import LOSS_LOG_NAME
from trainers.evaluation.evaluate import evaluate_checkpoint
from trainers.student.train import base_instances, train_student
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


# Runs ``xpm ARGS...`` as one torchrun rank and saves the parameters this rank trains (detector
# and noise head), as they start and as they end, to ``FOLDER/rank<N>.pt``: only rank 0 writes a
# checkpoint, and whether DDP kept the ranks in step shows only in the weights of the others.
_SAVE_EACH_RANK = """
import sys

import torch

import trainers.student.train as student_train
from commands.cli import main

folder, start_loop, finish_run = sys.argv[1], student_train.start_loop, student_train.finish_run
trained = {}


def parameters(model):
    return {name: value.detach().clone() for name, value in model.named_parameters()}


def start_loop_remembering_the_model(model, **kwargs):
    trained.update(model=model, initial=parameters(model))
    return start_loop(model, **kwargs)


def finish_run_saving_this_rank(out, steps, start, info, make_checkpoint):
    torch.save({"initial": trained["initial"], "final": parameters(trained["model"])}, f"{folder}/rank{info.rank}.pt")
    return finish_run(out, steps, start, info, make_checkpoint)


student_train.start_loop, student_train.finish_run = start_loop_remembering_the_model, finish_run_saving_this_rank
sys.exit(main(sys.argv[2:]))
"""


def test_two_process_gloo_ddp_runs_with_equal_batches(tiny_world, tiny_teacher, tiny_version, tmp_path):
    import json
    import subprocess
    import sys

    config = _config(tiny_world, tiny_teacher, tiny_version)
    script = tmp_path / "save_each_rank.py"
    script.write_text(_SAVE_EACH_RANK)
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone",
        str(script), str(tmp_path), "train-student", "--out", str(out), "--quiet", "--device", "cpu",
        "--data", config.data, "--base-gt", config.base_gt, "--base-images", config.base_images,
        "--split", config.split, "--init", config.init, "--max-steps", "3",
        "--set", "caption_batch_size=2", "--set", "shuffle_buffer=4", "--set", "optim.batch_size=2",
        "--set", "optim.optimizer=adamw", "--set", "optim.lr=0.001", "--set", "optim.warmup_steps=1",
        "--set", "engine.num_workers=0",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((out / "distributed.json").read_text())
    assert report == {"world_size": 2, "batches_per_rank": [3, 3]}
    assert [r["step"] for r in read_loss_log(out / LOSS_LOG_NAME)] == [1, 2, 3]
    # Each rank trained on its own slice of the batches, so only synced gradients leave the
    # two with the same parameters. (Batch-norm statistics are buffers, which DDP copies from
    # rank 0 before each forward, so after the last one they differ: left out.)
    rank0, rank1 = (torch.load(tmp_path / f"rank{rank}.pt", weights_only=True) for rank in (0, 1))
    final = rank0["final"]
    assert final.keys() == rank1["final"].keys() and any(name.startswith("noise_head.") for name in final)
    unequal = [name for name in final if not torch.equal(final[name], rank1["final"][name])]
    assert not unequal, f"the ranks' parameters differ: {unequal[:5]}"
    assert any(not torch.equal(final[name], rank0["initial"][name]) for name in final), "training changed no parameter"


def test_calibrate_eta_is_the_smallest_per_image_noise(tiny_world, tiny_teacher, tiny_version, tmp_path):
    from trainers.student.calibrate_eta import calibrate_eta

    run = train_student(_config(tiny_world, tiny_teacher, tiny_version), tmp_path, progress=False)
    result = calibrate_eta(run.model_path, tiny_version, images=6, device="cpu")
    assert result["images"] >= 1
    assert 0 < result["eta"] <= result["median_noise"] <= result["max_noise"]


def test_base_labels_follow_the_teacher_classifier_whatever_the_split_order(tiny_world, tiny_teacher, tmp_path):
    split = json.loads((tiny_world / "split.json").read_text())
    split["base"] = split["base"][::-1]
    permuted = tmp_path / "split.json"
    permuted.write_text(json.dumps(split))
    config = StudentConfig(data="unused", base_gt=str(tiny_world / "train" / "instances_base.json"),
                           base_images=str(tiny_world / "train" / "images"), split=str(permuted), init=str(tiny_teacher))
    teacher = read_checkpoint(tiny_teacher)
    assert list(teacher.gt_classes) != split["base"]
    dataset = base_instances(config, teacher)
    names = {c["id"]: c["name"] for c in dataset.coco.dataset["categories"]}
    checked = 0
    for index, image_id in enumerate(dataset.image_ids):
        _, target = dataset[index, False]
        annotations = [a for a in dataset.coco.imgToAnns[image_id] if not a.get("iscrowd", 0)]
        expected = [teacher.gt_classes.index(names[a["category_id"]]) + 1 for a in annotations]
        assert target["labels"].tolist() == expected
        checked += len(expected)
    assert checked > 0


def test_a_resumed_group_mean_run_continues_from_the_running_means_it_saved(tiny_world, tiny_teacher, tiny_version,
                                                                            tmp_path, monkeypatch):
    import dataclasses

    from xpm.modeling.student_losses import RunningGroupMeans

    full = _config(tiny_world, tiny_teacher, tiny_version, losses="gt+x+m+alpha", alpha_scale="group-mean")
    train_student(dataclasses.replace(full, optim=dataclasses.replace(full.optim, max_steps=2)), tmp_path, progress=False)
    saved = read_checkpoint(tmp_path / "checkpoints" / "last.pt").training["weight_means"]
    assert saved["seen"].any() and saved["means"].abs().sum() > 0
    (tmp_path / "model.pt").unlink()
    (tmp_path / "student_config.yaml").unlink()
    at_first_update = []
    update = RunningGroupMeans.update

    def recording(self, raw, groups):
        if not at_first_update:
            at_first_update.append((self.means.clone(), self.seen.clone()))
        return update(self, raw, groups)

    monkeypatch.setattr(RunningGroupMeans, "update", recording)
    assert train_student(full, tmp_path, progress=False).resumed_from == 2
    means, seen = at_first_update[0]
    assert torch.equal(means, saved["means"]) and torch.equal(seen, saved["seen"])


def test_a_run_without_room_for_its_checkpoints_stops_before_its_first_step(tiny_world, tiny_teacher, tiny_version, tmp_path,
                                                                             monkeypatch):
    import shutil

    from xpm.config import ConfigError

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=1000))
    with pytest.raises(ConfigError, match=f"--out {tmp_path}: the output needs about .* MB and {tmp_path} has 1.0 KB free"):
        train_student(_config(tiny_world, tiny_teacher, tiny_version), tmp_path, progress=False)
    assert not (tmp_path / LOSS_LOG_NAME).exists() and not (tmp_path / "checkpoints").exists()
