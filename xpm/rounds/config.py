"""What one ``xpm rounds`` runs (saved as OUT/rounds_config.yaml)."""

from __future__ import annotations

from dataclasses import dataclass

from xpm.experiment.config import EVALUATION_PARTS

INITS = ("teacher", "previous")


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
    seeds: int = 5
    first_seed: int = 0
    # The seed whose round-r student labels round r+1.
    labeler_seed: int = 0
    # What round r+1's students start from: the teacher, or the round-r student that labelled.
    init: str = "teacher"
    # The alignment rule of rounds 2 and on; empty: round 1's.
    alignment: str = ""
    part: str = "test"
    student_config: str = ""
    steps: int = 0
    threads: int = 1
    workers: int = 1
    bootstrap: int = 1000
    device: str = "auto"

    def __post_init__(self) -> None:
        for name in ("world", "teacher", "data"):
            if not getattr(self, name):
                raise ValueError(f"rounds config: {name} is required (--{name} or in the YAML).")
        checks = [
            (self.rounds >= 1, f"rounds={self.rounds}: at least 1."),
            (self.seeds >= 1, f"seeds={self.seeds}: at least 1 (5 for an interval worth deciding on)."),
            (self.first_seed <= self.labeler_seed < self.first_seed + self.seeds,
             f"labeler_seed={self.labeler_seed}: one of the trained seeds {self.first_seed}..{self.first_seed + self.seeds - 1}."),
            (self.init in INITS, f"init={self.init!r}: one of {', '.join(INITS)}."),
            (self.part in EVALUATION_PARTS, f"part={self.part!r}: one of {', '.join(EVALUATION_PARTS)}."),
            (self.configuration not in self.controls, f"configuration {self.configuration!r} is also named as a control."),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"rounds config: {message}")
