"""The training loop: Ctrl-C says which checkpoint a rerun resumes from; weight averaging survives a resume."""

import copy

import pytest
import torch

from trainers.engine.train_loop import TrainLoop
from xpm.io.jobs import Interrupted


class Log:
    def write(self, step, values):
        pass

    def close(self):
        pass


def _loop(saved: list) -> TrainLoop:
    model = torch.nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    return TrainLoop(model=model, optimizer=optimizer, scheduler=torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0),
                     device=torch.device("cpu"), max_steps=6, log=Log(), save=lambda step, state: saved.append(step),
                     checkpoint_every=2, progress=False)


def _losses_until(stop: int, loop: TrainLoop):
    calls = iter(range(100))

    def compute(batch):
        if next(calls) == stop:
            raise KeyboardInterrupt
        return {"loss": loop.model(batch).pow(2).sum()}

    return compute


def test_ctrl_c_names_the_last_saved_step():
    saved = []
    loop = _loop(saved)
    with pytest.raises(Interrupted) as interrupt:
        loop.run(iter(lambda: torch.ones(1, 1), None), _losses_until(3, loop))
    assert saved == [2] and interrupt.value.kept == "the checkpoint of step 2 of 6"


def test_ctrl_c_before_any_checkpoint_is_a_plain_interruption():
    loop = _loop([])
    with pytest.raises(KeyboardInterrupt) as interrupt:
        loop.run(iter(lambda: torch.ones(1, 1), None), _losses_until(1, loop))
    assert not isinstance(interrupt.value, Interrupted)


def test_progress_off_a_terminal_is_lines_not_a_bar(caplog, capsys):
    import logging

    saved = []
    loop = _loop(saved)
    loop.progress = True
    with caplog.at_level(logging.INFO, logger="xpm.progress"):
        assert loop.run(iter(lambda: torch.ones(1, 1), None), _losses_until(-1, loop)) == 6
    lines = [record.getMessage() for record in caplog.records if record.name == "xpm.progress"]
    assert lines[0].startswith("train: 1/6 steps, ") and lines[-1].startswith("train: 6/6 steps, ")
    assert "loss " in lines[-1] and "\r" not in capsys.readouterr().err


def _averaging_loop(saved: list, decay: float, model: torch.nn.Module | None = None) -> TrainLoop:
    from trainers.engine.training_run import weight_average

    model = model or torch.nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loop = TrainLoop(model=model, optimizer=optimizer, scheduler=torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0),
                     device=torch.device("cpu"), max_steps=6, log=Log(), checkpoint_every=1, progress=False,
                     save=lambda step, state: saved.append((step, copy.deepcopy(state), copy.deepcopy(model.state_dict()))),
                     average=weight_average(model, decay))
    return loop


def test_weight_averaging_saves_the_moving_average_of_the_steps_weights():
    saved = []
    loop = _averaging_loop(saved, 0.5)
    loop.run(iter(lambda: torch.ones(1, 1), None), _losses_until(-1, loop))
    expected = None
    for _, _, weights in saved:  # the raw weights after each step
        expected = weights["weight"] if expected is None else 0.5 * expected + 0.5 * weights["weight"]
    assert torch.allclose(loop.model.weight, expected)
    assert not torch.allclose(loop.model.weight, saved[-1][2]["weight"])


def test_a_resumed_run_averages_as_an_uninterrupted_one():
    torch.manual_seed(0)
    start = torch.nn.Linear(1, 1)
    whole = _averaging_loop([], 0.7, copy.deepcopy(start))
    whole.run(iter(lambda: torch.ones(1, 1), None), _losses_until(-1, whole))

    saved = []
    first = _averaging_loop(saved, 0.7, copy.deepcopy(start))
    with pytest.raises(Interrupted):
        first.run(iter(lambda: torch.ones(1, 1), None), _losses_until(3, first))
    step, state, weights = saved[-1]
    resumed_model = torch.nn.Linear(1, 1)
    resumed_model.load_state_dict(weights)
    resumed = _averaging_loop([], 0.7, resumed_model)
    assert resumed.restore(state) == step == 3
    resumed.run(iter(lambda: torch.ones(1, 1), None), _losses_until(-1, resumed), start_step=step)
    assert torch.allclose(resumed.model.weight, whole.model.weight) and torch.allclose(resumed.model.bias, whole.model.bias)
