import dataclasses

import pytest
import torch

from trainers.engine.loss_log import read_loss_log
from trainers.engine.training_run import LOSS_LOG_NAME
from trainers.evaluation.evaluate import evaluate_checkpoint
from trainers.teacher.train import train_teacher
from xpm.config import ConfigError
from xpm.modeling.checkpoint import read_checkpoint
from xpm.modeling.errors import CheckpointError


@pytest.fixture(scope="module")
def trained(tiny_teacher_config, module_dir):
    return module_dir, train_teacher(tiny_teacher_config, module_dir, progress=False)


def test_training_writes_model_config_and_loss_log(trained):
    out, run = trained
    assert run.steps == 4 and run.model_path.is_file()
    assert (out / "teacher_config.yaml").is_file()
    rows = read_loss_log(out / LOSS_LOG_NAME)
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
    assert {"loss_classifier", "loss_mask", "loss_box_reg", "lr"} <= set(rows[0])
    assert len(list(out.glob("events.out.tfevents.*"))) == 1  # the same rows for TensorBoard
    checkpoint = read_checkpoint(run.model_path)
    assert checkpoint.gt_classes == checkpoint.vocabulary and checkpoint.text_model.dim == 384


def test_resume_continues_from_the_saved_step_and_matches(tiny_teacher_config, trained, tmp_path):
    out, _ = trained
    interrupted = dataclasses.replace(tiny_teacher_config, optim=dataclasses.replace(tiny_teacher_config.optim, max_steps=2))
    first = tmp_path / "resumed"
    train_teacher(interrupted, first, progress=False)
    # Make the folder look like a run of the full config that was killed after step 2.
    (first / "model.pt").unlink()
    (first / "teacher_config.yaml").write_text((out / "teacher_config.yaml").read_text())
    resumed = train_teacher(tiny_teacher_config, first, progress=False)
    assert resumed.resumed_from == 2 and resumed.steps == 4
    assert [r["step"] for r in read_loss_log(first / LOSS_LOG_NAME)] == [1, 2, 3, 4]
    straight = read_checkpoint(out / "model.pt").state_dict
    for key, value in read_checkpoint(first / "model.pt").state_dict.items():
        torch.testing.assert_close(value, straight[key], msg=key)


def test_a_finished_run_is_reused_and_a_different_config_refused(tiny_teacher_config, trained):
    out, _ = trained
    assert train_teacher(tiny_teacher_config, out, progress=False).reused
    changed = dataclasses.replace(tiny_teacher_config, optim=dataclasses.replace(tiny_teacher_config.optim, lr=0.5))
    with pytest.raises(ConfigError, match="optim.lr"):
        train_teacher(changed, out, progress=False)


def test_a_run_saved_before_a_config_field_existed_still_resumes(tiny_teacher_config, trained, tmp_path):
    import shutil

    import yaml

    out, _ = trained
    older = tmp_path / "older"
    shutil.copytree(out, older)
    saved = yaml.safe_load((older / "teacher_config.yaml").read_text())
    del saved["oracle"], saved["init"]
    (older / "teacher_config.yaml").write_text(yaml.safe_dump(saved))
    assert train_teacher(tiny_teacher_config, older, progress=False).reused


def test_short_training_lowers_the_loss(tiny_teacher_config, tmp_path):
    config = dataclasses.replace(
        tiny_teacher_config,
        hflip=False,
        optim=dataclasses.replace(tiny_teacher_config.optim, max_steps=25, batch_size=2),
        engine=dataclasses.replace(tiny_teacher_config.engine, checkpoint_every=100),
    )
    train_teacher(config, tmp_path, progress=False)
    totals = [r["total"] for r in read_loss_log(tmp_path / LOSS_LOG_NAME)]
    assert sum(totals[-5:]) / 5 < sum(totals[:5]) / 5


def test_cuda_asked_for_without_cuda_is_an_error(tiny_teacher_config, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("CUDA is present")
    config = dataclasses.replace(tiny_teacher_config, engine=dataclasses.replace(tiny_teacher_config.engine, device="cuda"))
    with pytest.raises(ConfigError, match="CUDA is not available"):
        train_teacher(config, tmp_path, progress=False)


def test_eval_writes_table2_numbers(trained, tiny_world):
    _, run = trained
    result = evaluate_checkpoint(run.model_path, tiny_world / "val" / "instances.json", tiny_world / "val" / "images",
                                 tiny_world / "split.json", device="cpu", batch_size=4)
    for iou_type in ("bbox", "segm"):
        assert set(result[iou_type]) == {"constrained", "generalized"}
        assert set(result[iou_type]["generalized"]) == {"base", "target", "all"}
        # Every group has ground truth in the tiny world's val set, so every AP is a number.
        for setting in ("constrained", "generalized"):
            for group, ap in result[iou_type][setting].items():
                assert isinstance(ap, float) and 0.0 <= ap <= 100.0, (iou_type, setting, group, ap)


def test_eval_refuses_wrong_inputs(trained, tiny_world, tmp_path):
    _, run = trained
    gt, images, split = tiny_world / "val" / "instances.json", tiny_world / "val" / "images", tiny_world / "split.json"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="is empty"):
        evaluate_checkpoint(run.model_path, gt, empty, split, device="cpu")
    other = tmp_path / "other_split.json"
    other.write_text(split.read_text().replace('"base": [', '"base": ["unicorn", ', 1))
    with pytest.raises(CheckpointError, match="other base classes"):
        evaluate_checkpoint(run.model_path, gt, images, other, device="cpu")
    absent = tmp_path / "absent_split.json"
    import json
    data = json.loads(split.read_text())
    data["target"] = data["target"] + data["caption_only"][:1]
    data["caption_only"] = data["caption_only"][1:]
    absent.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="no category named"):
        evaluate_checkpoint(run.model_path, gt, images, absent, device="cpu")


def test_oracle_continues_a_checkpoint_on_target_ground_truth(tiny_teacher_config, trained, tiny_world, tmp_path):
    from schemas.split import read_split
    from commands.demo.oracle_data import build_oracle_data

    _, teacher = trained
    split = read_split(tiny_world / "split.json")
    gt, images = build_oracle_data(tiny_world, split, tmp_path / "data")
    config = dataclasses.replace(tiny_teacher_config, train_gt=str(gt), train_images=str(images), init=str(teacher.model_path),
                                 oracle=True, optim=dataclasses.replace(tiny_teacher_config.optim, max_steps=1))
    run = train_teacher(config, tmp_path / "oracle", progress=False)
    checkpoint = read_checkpoint(run.model_path)
    assert checkpoint.gt_classes == split.base + split.target
    start = read_checkpoint(teacher.model_path)
    assert not torch.equal(checkpoint.state_dict["backbone.body.conv1.weight"], start.state_dict["backbone.body.conv1.weight"])
    val = tiny_world / "val"
    with pytest.raises(CheckpointError, match="other base classes"):
        evaluate_checkpoint(run.model_path, val / "instances.json", val / "images", tiny_world / "split.json", device="cpu")
    result = evaluate_checkpoint(run.model_path, val / "instances.json", val / "images", tiny_world / "split.json",
                                 device="cpu", oracle=True)
    assert result["meta"]["oracle"] is True
    other = dataclasses.replace(config, model=dataclasses.replace(config.model, fpn_channels=8))
    with pytest.raises(ConfigError, match="another model config"):
        train_teacher(other, tmp_path / "other", progress=False)


def test_grounded_training_learns_from_captions_and_resumes(tiny_teacher_config, tiny_world, tmp_path):
    config = dataclasses.replace(tiny_teacher_config, captioned=str(tiny_world / "captioned" / "*.tar"), caption_batch_size=2)
    straight = train_teacher(config, tmp_path / "straight", progress=False)
    rows = read_loss_log(tmp_path / "straight" / LOSS_LOG_NAME)
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
    assert all(r["loss_grounding"] > 0 for r in rows)
    assert read_checkpoint(straight.model_path).vocabulary == read_checkpoint(straight.model_path).gt_classes

    first = tmp_path / "resumed"
    train_teacher(dataclasses.replace(config, optim=dataclasses.replace(config.optim, max_steps=2)), first, progress=False)
    (first / "model.pt").unlink()
    (first / "teacher_config.yaml").write_text((tmp_path / "straight" / "teacher_config.yaml").read_text())
    resumed = train_teacher(config, first, progress=False)
    assert resumed.resumed_from == 2 and [r["step"] for r in read_loss_log(first / LOSS_LOG_NAME)] == [1, 2, 3, 4]


def test_grounding_settings_and_shards_are_checked_and_a_failed_start_can_be_corrected(tiny_teacher_config, tmp_path):
    with pytest.raises(ValueError, match="grounding_weight"):
        dataclasses.replace(tiny_teacher_config, grounding_weight=0.0)
    config = dataclasses.replace(tiny_teacher_config, captioned=str(tmp_path / "none" / "*.tar"))
    with pytest.raises(ConfigError, match="captioned .* matches no file"):
        train_teacher(config, tmp_path / "run", progress=False)
    # The failed start saved no weights, so the corrected config may start in the same folder.
    fixed = dataclasses.replace(tiny_teacher_config, optim=dataclasses.replace(tiny_teacher_config.optim, max_steps=1))
    assert train_teacher(fixed, tmp_path / "run", progress=False).steps == 1


@pytest.mark.gpu
def test_cuda_training_with_amp_and_eval(tiny_teacher_config, tiny_world, tmp_path):
    config = dataclasses.replace(tiny_teacher_config, engine=dataclasses.replace(tiny_teacher_config.engine, device="cuda", amp=True))
    run = train_teacher(config, tmp_path, progress=False)
    assert all(torch.isfinite(torch.tensor(r["total"])) for r in read_loss_log(tmp_path / LOSS_LOG_NAME))
    result = evaluate_checkpoint(run.model_path, tiny_world / "val" / "instances.json", tiny_world / "val" / "images",
                                 tiny_world / "split.json", device="cuda", batch_size=4)
    assert set(result["segm"]["generalized"]) == {"base", "target", "all"}


def test_the_same_inputs_spelt_another_way_resume_the_run(tiny_teacher_config, trained):
    from pathlib import Path

    out, _ = trained
    gt = Path(tiny_teacher_config.train_gt)
    respelt = dataclasses.replace(tiny_teacher_config, train_gt=str(gt.parent / ".." / gt.parent.name / gt.name))
    assert train_teacher(respelt, out, progress=False).reused
