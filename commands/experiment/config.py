"""What one ``xpm experiment`` runs (saved as OUT/experiment_config.yaml) and its named
configurations."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from xpm.config import ConfigError

KINDS = ("student", "teacher+steps", "oracle")
# What a teacher kind may set: the student budget it is trained for (steps, optimizer, schedule,
# images per step), so a control can match a student configuration that changes the budget.
BUDGET_FIELDS = ("optim", "caption_batch_size")
DEFAULT_CONFIGURATIONS = ("gt+x", "gt+x+m", "gt+x+m+alpha")
# The row every gain is measured from: evaluated once, not trained.
TEACHER = "teacher"
EVALUATION_PARTS = ("test", "val")


@dataclass(frozen=True)
class ExperimentConfig:
    # A synthetic world (xpm synth / xpm demo), its teacher and a dataset version of that teacher.
    world: str = ""
    teacher: str = ""
    data: str = ""
    configurations: tuple[str, ...] = DEFAULT_CONFIGURATIONS
    # YAML of named configurations; empty: the packaged commands/experiment/configurations.yaml.
    configurations_file: str = ""
    seeds: int = 5
    first_seed: int = 0
    # The world's part every run is evaluated on: test/ reports, val/ chooses settings.
    part: str = "test"
    # The student YAML the configurations override; empty: the packaged student_cpu.yaml.
    student_config: str = ""
    # Training steps of every run; 0: the student config's.
    steps: int = 0
    # Torch threads per run: a result depends on it (float sums in another order), so it is fixed
    # per experiment rather than taken from the machine.
    threads: int = 1
    # Runs trained at once, each in its own process with `threads` threads.
    workers: int = 1
    # Resamples of the test images for the image part of every interval.
    bootstrap: int = 1000
    device: str = "auto"

    def __post_init__(self) -> None:
        for name in ("world", "teacher", "data"):
            if not getattr(self, name):
                raise ValueError(f"experiment config: {name} is required (--{name} or in the YAML).")
        checks = [
            (self.seeds >= 1, f"seeds={self.seeds}: at least 1 (5 for an interval worth deciding on)."),
            (self.part in EVALUATION_PARTS, f"part={self.part!r}: one of {', '.join(EVALUATION_PARTS)}."),
            (self.steps >= 0, f"steps={self.steps}: 0 (the student config's) or more."),
            (self.threads >= 1 and self.workers >= 1, f"threads={self.threads}, workers={self.workers}: at least 1 each."),
            (self.bootstrap >= 100, f"bootstrap={self.bootstrap}: at least 100 resamples."),
            (len(self.configurations) >= 1 and TEACHER not in self.configurations,
             f"configurations {list(self.configurations)}: name at least one; '{TEACHER}' is always evaluated."),
            (len(set(self.configurations)) == len(self.configurations), f"configurations {list(self.configurations)}: named twice."),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"experiment config: {message}")


@dataclass(frozen=True)
class Configuration:
    name: str
    kind: str
    overrides: dict = field(default_factory=dict)


def packaged_configurations_path() -> Path:
    return Path(str(resources.files("commands.experiment").joinpath("configurations.yaml")))


def read_configurations(path: str | Path | None, names: tuple[str, ...]) -> list[Configuration]:
    """The named ``names`` from the YAML at ``path`` (default: the packaged file), in that order."""
    path = Path(path) if path else packaged_configurations_path()
    try:
        entries = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"configurations file {path} does not exist.") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"configurations file {path} is not valid YAML ({error}).") from None
    if not isinstance(entries, dict):
        raise ConfigError(f"configurations file {path}: a mapping of NAME: {{kind: ..., set: {{...}}}}.")
    configurations = []
    for name in names:
        if name not in entries:
            raise ConfigError(f"configuration {name!r} is not in {path}; there: {', '.join(entries)}.")
        entry = entries[name]
        if not isinstance(entry, dict) or entry.get("kind") not in KINDS or set(entry) - {"kind", "set"}:
            raise ConfigError(f"{path}: {name} must be {{kind: {' | '.join(KINDS)}, set: {{FIELD: VALUE}}}}; got {entry!r}.")
        overrides = entry.get("set") or {}
        if not isinstance(overrides, dict):
            raise ConfigError(f"{path}: {name}: 'set' is a mapping of student config fields; got {overrides!r}.")
        if entry["kind"] != "student" and set(overrides) - set(BUDGET_FIELDS):
            raise ConfigError(f"{path}: {name}: kind {entry['kind']} sets only the student budget it matches "
                              f"({', '.join(BUDGET_FIELDS)}); got {', '.join(sorted(overrides))}.")
        configurations.append(Configuration(name, entry["kind"], overrides))
    return configurations
