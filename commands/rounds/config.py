"""What one ``xpm rounds`` runs (saved as OUT/rounds_config.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from commands.experiment.config import ExperimentConfig

INITS = ("teacher", "previous")


def round_name(number: int) -> str:
    return f"round-{number}"


@dataclass(frozen=True)
class RoundsConfig:
    # A synthetic world, its teacher and the teacher's dataset version: round 1's labels.
    world: str = ""
    teacher: str = ""
    data: str = ""
    rounds: int = 2
    # The student configuration every round trains (a name of `xpm experiment --list`).
    configuration: str = "gt+x+m+alpha"
    # Controls trained once on round 1's version beside the rounds; truth-labels is the bound
    # each round's share of the gap is measured against.
    controls: tuple[str, ...] = ("truth-labels",)
    # The seed whose round-r student labels round r+1.
    labeler_seed: int = 0
    # What round r+1's students start from: the teacher, or the round-r student that labelled.
    init: str = "teacher"
    # The alignment rule of rounds 2 and on; empty: round 1's.
    alignment: str = ""
    # How every round's runs are trained and evaluated: ExperimentConfig's fields of these names.
    seeds: int = 5
    first_seed: int = 0
    part: str = "test"
    student_config: str = ""
    steps: int = 0
    threads: int = 1
    workers: int = 1
    bootstrap: int = 1000
    device: str = "auto"

    def experiment(self, versions: list[str], configurations_file: str) -> ExperimentConfig:
        """The experiment holding rounds 1..len(versions) and the controls."""
        shared = {f.name: getattr(self, f.name) for f in fields(ExperimentConfig) if hasattr(self, f.name)}
        rounds = tuple(round_name(number) for number in range(1, len(versions) + 1))
        return ExperimentConfig(**{**shared, "data": versions[0], "configurations": (*rounds, *self.controls),
                                   "configurations_file": configurations_file})

    def __post_init__(self) -> None:
        try:  # the run settings and the required inputs, as the experiment checks them
            self.experiment([self.data], "")
        except ValueError as error:
            raise ValueError(str(error).replace("experiment config:", "rounds config:")) from None
        checks = [
            (self.rounds >= 1, f"rounds={self.rounds}: at least 1."),
            (self.first_seed <= self.labeler_seed < self.first_seed + self.seeds,
             f"labeler_seed={self.labeler_seed}: one of the trained seeds {self.first_seed}..{self.first_seed + self.seeds - 1}."),
            (self.init in INITS, f"init={self.init!r}: one of {', '.join(INITS)}."),
            (self.configuration not in self.controls, f"configuration {self.configuration!r} is also named as a control."),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"rounds config: {message}")
