import logging

from xpm.progress import LOGGER, Progress, show_progress


def test_a_line_on_the_first_update_then_at_most_per_interval_and_on_the_last(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    progress = Progress("eval", "images", total=10, interval=3600)
    for _ in range(10):
        progress.update(1, rejects_so_far=2)
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2
    assert lines[0].startswith("eval: 1/10 images") and "ETA" in lines[0] and "rejects so far 2" in lines[0]
    assert lines[1].startswith("eval: 10/10 images") and "ETA" not in lines[1]


def test_work_done_before_a_resume_is_shown_but_not_in_the_rate(caplog, monkeypatch):
    import xpm.progress

    clock = iter([100.0, 102.0])  # started, then one shard two seconds later
    monkeypatch.setattr(xpm.progress.time, "perf_counter", lambda: next(clock, 102.0))
    caplog.set_level(logging.INFO, logger=LOGGER)
    Progress("pseudo-label", "shards", total=5, initial=3, interval=3600).update(1)
    assert caplog.records[-1].getMessage() == "pseudo-label: 4/5 shards, 0.5 shards/s, elapsed 0:00:02, ETA 0:00:02"


def test_quiet_silences_progress(capsys):
    show_progress(False)
    Progress("eval", "images", total=2).update(1)
    assert capsys.readouterr().err == ""
    show_progress(True)
    Progress("eval", "images", total=2).update(1)
    assert capsys.readouterr().err.startswith("eval: 1/2 images")
