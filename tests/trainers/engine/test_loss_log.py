from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from trainers.engine.loss_log import LossLog, read_loss_log


def _scalars(folder, tag):
    events = EventAccumulator(str(folder))
    events.Reload()
    return [(event.step, round(event.value, 6)) for event in events.Scalars(tag)]


def test_every_row_is_in_the_csv_and_in_tensorboard_and_a_resume_replaces_the_rows_after_its_step(tmp_path):
    log = LossLog(tmp_path / "losses.csv")
    for step in (1, 2, 3):
        log.write(step, {"loss_mask": step / 10, "total": step / 5, "mean_alpha": 1.0})
    log.close()
    # killed after step 3, resumed from the checkpoint of step 2: step 3 is written again
    resumed = LossLog(tmp_path / "losses.csv", resume_from_step=2)
    for step in (3, 4):
        resumed.write(step, {"loss_mask": step / 100, "total": step / 50, "mean_alpha": 0.5})
    resumed.close()
    assert [(row["step"], row["loss_mask"]) for row in read_loss_log(tmp_path / "losses.csv")] == [
        (1, 0.1), (2, 0.2), (3, 0.03), (4, 0.04)]
    assert _scalars(tmp_path, "loss/loss_mask") == [(1, 0.1), (2, 0.2), (3, 0.03), (4, 0.04)]
    assert _scalars(tmp_path, "loss/total")[-1] == (4, 0.08)
    assert _scalars(tmp_path, "train/mean_alpha") == [(1, 1.0), (2, 1.0), (3, 0.5), (4, 0.5)]
