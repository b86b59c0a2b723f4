"""``xpm rounds``: label, train, label again. Round 1's labels are the teacher's dataset version;
the round-r student of one seed labels the same captioned shards for round r+1, each round a
dataset version whose lineage names its labeler. Every round's students are configurations of one
experiment (OUT/experiment), so the rounds share the teacher's evaluation and the controls, resume
as it does (a finished run or version is never made again), and their differences pair by seed."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import yaml

from xpm.config import ConfigError, save_config, to_dict
from commands.experiment.config import TEACHER, Configuration, packaged_configurations_path, read_configurations
from commands.experiment.runs import MODEL_DIR, run_folder
from xpm.io.atomic import write_text_atomically
from xpm.progress import LOGGER
from trainers.engine.training_run import MODEL_NAME
from commands.rounds.config import RoundsConfig, round_name

CONFIG_FILE = "rounds_config.yaml"
CONFIGURATIONS_FILE = "configurations.yaml"
EXPERIMENT_DIR = "experiment"
DATASETS_DIR = "datasets"
TIMINGS_FILE = "timings.json"
BOUND = "truth-labels"


def labeler_path(out: Path, config: RoundsConfig, number: int) -> Path:
    """The round-``number`` student that labels round ``number`` + 1."""
    return run_folder(out / EXPERIMENT_DIR, round_name(number), config.labeler_seed) / MODEL_DIR / MODEL_NAME


def _student_configuration(config: RoundsConfig) -> Configuration:
    """The configuration every round trains; the controls' names are checked with it."""
    base, *_ = read_configurations(None, (config.configuration, *config.controls))
    if base.kind != "student":
        raise ConfigError(f"configuration {config.configuration!r} is a {base.kind}; rounds train a student configuration.")
    return base


def _write_configurations(out: Path, config: RoundsConfig, versions: list[str]) -> Path:
    """The packaged configurations (the controls come from there) and one per round: the chosen
    student on that round's version, started from the teacher or from the round's labeler."""
    base = _student_configuration(config)
    entries = yaml.safe_load(packaged_configurations_path().read_text())
    for number, version in enumerate(versions, 1):
        overrides = {**base.overrides, "data": version}
        if number > 1 and config.init == "previous":
            overrides["init"] = str(labeler_path(out, config, number - 1))
        entries[round_name(number)] = {"kind": "student", "set": overrides}
    path = out / CONFIGURATIONS_FILE
    write_text_atomically(path, yaml.safe_dump(entries, sort_keys=False))
    return path


def _experiment(out: Path, config: RoundsConfig, versions: list[str]) -> dict:
    from commands.experiment.experiment import run_experiment

    experiment = config.experiment(versions, str(_write_configurations(out, config, versions)))
    names = [round_name(number) for number in range(1, len(versions) + 1)]
    differences = [(name, TEACHER) for name in (*names, *config.controls)]
    differences += [(later, earlier) for earlier, later in zip(names, names[1:])]
    return run_experiment(experiment, out / EXPERIMENT_DIR, differences=differences,
                          gaps=[(name, BOUND) for name in names] if BOUND in config.controls else [])


def _label(out: Path, config: RoundsConfig, first, number: int) -> tuple[str, bool]:
    """Round ``number``'s version, labelled by the previous round's student (reused when done)."""
    from pipeline.config import PseudoLabelConfig
    from pipeline.job import run_pseudo_label

    recorded = first.manifest["lineage"]["config"]
    labeler = labeler_path(out, config, number - 1)
    run = run_pseudo_label(PseudoLabelConfig(
        input=recorded["input"], teacher=str(labeler), output=str(out / DATASETS_DIR), name=round_name(number),
        alignment=config.alignment or recorded["alignment"], device=config.device))
    return str(run.version_dir), run.identical


def label_quality(world: Path, version: str) -> dict:
    """Box precision and mask IoU per group of classes against the captioned images' truth."""
    from schemas.split import read_split
    from trainers.evaluation.pseudo_label_quality import category_of_nouns, measure_pseudo_labels, summarize
    from xpm.io.dataset_version import open_version

    split = read_split(world / "split.json")
    rows = measure_pseudo_labels(open_version(version), world / "captioned" / "instances_all.json", category_of_nouns(split))
    return summarize(rows, split.group_of)


def run_rounds(config: RoundsConfig, out: str | Path) -> dict:
    from schemas.dataset_version import labeler_of
    from xpm.io.dataset_version import open_version
    from commands.rounds.report import write_report

    out, log = Path(out), logging.getLogger(LOGGER)
    first = open_version(config.data)
    _student_configuration(config)
    if not (Path(config.world) / "captioned" / "instances_all.json").is_file():
        raise ConfigError(f"{config.world} has no captioned/instances_all.json: rounds measure each round's labels "
                          "against the captioned images' truth, which synthetic worlds (xpm synth) have.")
    out.mkdir(parents=True, exist_ok=True)
    save_config(config, out / CONFIG_FILE)
    timings_path = out / TIMINGS_FILE
    timings = json.loads(timings_path.read_text()) if timings_path.is_file() else {}
    versions = [first.path]
    summary: dict = {}
    for number in range(1, config.rounds + 1):
        name = round_name(number)
        if number > 1:
            started = time.perf_counter()
            version, reused = _label(out, config, first, number)
            versions.append(version)
            if not reused:
                timings.setdefault(name, {})["label_s"] = time.perf_counter() - started
            log.info(f"rounds: {name}: {version} labelled by {labeler_path(out, config, number - 1)}")
        fresh = not all((run_folder(out / EXPERIMENT_DIR, name, seed) / MODEL_DIR / MODEL_NAME).is_file()
                        for seed in range(config.first_seed, config.first_seed + config.seeds))
        started = time.perf_counter()
        summary = _experiment(out, config, versions)
        if fresh:
            timings.setdefault(name, {})["train_eval_s"] = time.perf_counter() - started
        write_text_atomically(timings_path, json.dumps(timings, indent=2) + "\n")
        log.info(f"rounds: {name}: {config.seeds} student(s) trained and evaluated")

    rows = []
    for number, version in enumerate(versions, 1):
        name = round_name(number)
        lineage = open_version(version).manifest["lineage"]
        rows.append({
            "round": number, "version": version, "labeler": labeler_of(lineage),
            "label_quality": label_quality(Path(config.world), version), "student": summary["configs"][name],
            "vs_teacher": summary["paired"].get(f"{name}-{TEACHER}"),
            "vs_previous": summary["paired"].get(f"{name}-{round_name(number - 1)}"),
            "gap": summary.get("gaps", {}).get(f"{name}/{BOUND}"), "seconds": timings.get(name, {}),
        })
    result = {"config": to_dict(config), "rounds": rows,
              "teacher": summary["configs"][TEACHER],
              "controls": {name: summary["configs"][name] for name in config.controls},
              "interval_method": summary["interval_method"], "part": summary["part"], "images": summary["images"]}
    write_text_atomically(out / "rounds.json", json.dumps(result, indent=2, allow_nan=False) + "\n")
    write_report(result, out)
    return result
