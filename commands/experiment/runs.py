"""One run of an experiment: a configuration trained with one seed, then evaluated on the world's
held-out part. A run folder holds the training run (``model/``, resumable), ``eval.json`` and
``matches.npz``; each is reused while what made it is unchanged, so an interrupted experiment
resumes and a finished one retrains nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from commands.experiment.config import TEACHER, Configuration, ExperimentConfig
from xpm.io.atomic import write_text_atomically
from xpm.io.hashing import file_sha256

MODEL_DIR = "model"
EVAL_FILE = "eval.json"
MATCHES_FILE = "matches.npz"


@dataclass(frozen=True)
class RunSpec:
    """What a worker process needs to do one run (picklable)."""

    experiment: ExperimentConfig
    configuration: Configuration
    seed: int
    folder: Path


def run_folder(out: Path, name: str, seed: int | None) -> Path:
    return out / "runs" / name if seed is None else out / "runs" / name / f"seed-{seed}"


def student_config(experiment: ExperimentConfig, configuration: Configuration, seed: int):
    from trainers.student.config import StudentConfig
    from commands.demo.stages import STUDENT_CONFIG, packaged_config
    from xpm.config import load_config, merge_overrides

    world = Path(experiment.world)
    overrides = merge_overrides({
        "data": experiment.data,
        "base_gt": str(world / "train" / "instances_base.json"),
        "base_images": str(world / "train" / "images"),
        "split": str(world / "split.json"),
        "init": experiment.teacher,
        "truth_gt": str(world / "captioned" / "instances_all.json"),
        "engine": {"device": experiment.device, "seed": seed},
        "optim": {"max_steps": experiment.steps} if experiment.steps else {},
    }, configuration.overrides)
    if experiment.student_config:
        return load_config(StudentConfig, experiment.student_config, overrides)
    return packaged_config(StudentConfig, STUDENT_CONFIG, overrides)


def _teacher_config(experiment: ExperimentConfig, configuration: Configuration, seed: int, *, gt: Path, images: Path,
                    oracle: bool):
    """The teacher continued from its checkpoint for the student's budget: the student's steps,
    optimizer and schedule, and its images per step (base batch + captioned batch), as the
    configuration sets them. Its other settings are those the teacher was trained with (its saved
    config), else the packaged ones."""
    from trainers.teacher.config import TeacherConfig
    from trainers.teacher.train import CONFIG_NAME
    from xpm.config import load_config, to_dict
    from commands.demo.stages import TEACHER_CONFIG, packaged_config

    world = Path(experiment.world)
    student = student_config(experiment, configuration, seed)
    optim = to_dict(student.optim)
    if oracle:  # the oracle's captioned images are part of its ground truth, in one batch
        optim["batch_size"] = student.optim.batch_size + student.caption_batch_size
    overrides = {
        "train_gt": str(gt), "train_images": str(images), "split": str(world / "split.json"),
        "init": experiment.teacher, "oracle": oracle, "optim": optim,
        "captioned": "" if oracle else str(world / "captioned" / "*.tar"),
        "caption_batch_size": student.caption_batch_size,
        "engine": {"device": experiment.device, "seed": seed},
    }
    saved = Path(experiment.teacher).parent / CONFIG_NAME
    if saved.is_file():
        return load_config(TeacherConfig, saved, overrides)
    return packaged_config(TeacherConfig, TEACHER_CONFIG, overrides)


def train(spec: RunSpec) -> Path:
    """The run's model, trained (or resumed, or reused when finished)."""
    from schemas.split import read_split
    from trainers.student.train import train_student
    from trainers.teacher.train import train_teacher
    from commands.demo.oracle_data import build_oracle_data

    experiment, configuration, world = spec.experiment, spec.configuration, Path(spec.experiment.world)
    model_dir = spec.folder / MODEL_DIR
    if configuration.kind == "student":
        return train_student(student_config(experiment, configuration, spec.seed), model_dir, progress=False).model_path
    if configuration.kind == "teacher+steps":
        config = _teacher_config(experiment, configuration, spec.seed, gt=world / "train" / "instances_base.json",
                                 images=world / "train" / "images", oracle=False)
    else:
        # One oracle training set per experiment, shared by its seeds.
        gt, images = build_oracle_data(world, read_split(world / "split.json"), spec.folder.parent.parent / "oracle-data")
        config = _teacher_config(experiment, configuration, spec.seed, gt=gt, images=images, oracle=True)
    return train_teacher(config, model_dir, progress=False).model_path


def evaluate(experiment: ExperimentConfig, model_path: Path, folder: Path, *, oracle: bool = False) -> dict:
    """Table 2 of ``model_path`` on the experiment's part, and its matches; reused while the model
    and the part's ground truth are the ones they were measured with."""
    from trainers.evaluation.evaluate import evaluate_checkpoint

    part = Path(experiment.world) / experiment.part
    eval_path, matches_path = folder / EVAL_FILE, folder / MATCHES_FILE
    if eval_path.is_file() and matches_path.is_file():
        previous = json.loads(eval_path.read_text())
        meta = previous.get("meta", {})
        if meta.get("model_sha256") == file_sha256(model_path) and meta.get("gt_sha256") == file_sha256(part / "instances.json"):
            return previous
    result = evaluate_checkpoint(model_path, part / "instances.json", part / "images", Path(experiment.world) / "split.json",
                                 device=experiment.device, oracle=oracle, matches_path=matches_path)
    result["meta"]["part"] = experiment.part
    write_text_atomically(eval_path, json.dumps(result, indent=2, allow_nan=False) + "\n")
    return result


def do_run(spec: RunSpec) -> dict:
    """Train and evaluate one run in this process with the experiment's thread count."""
    import torch

    torch.set_num_threads(spec.experiment.threads)
    if spec.configuration.name == TEACHER:
        model = Path(spec.experiment.teacher)
    else:
        model = train(spec)
    return evaluate(spec.experiment, model, spec.folder, oracle=spec.configuration.kind == "oracle")


def plan_runs(experiment: ExperimentConfig, configurations: list[Configuration], out: Path) -> list[RunSpec]:
    """The teacher's evaluation first, then every configuration's seeds, seed by seed, so that an
    experiment stopped early holds complete pairs."""
    seeds = range(experiment.first_seed, experiment.first_seed + experiment.seeds)
    specs = [RunSpec(experiment, Configuration(TEACHER, "teacher"), 0, run_folder(out, TEACHER, None))]
    specs += [RunSpec(experiment, configuration, seed, run_folder(out, configuration.name, seed))
              for seed in seeds for configuration in configurations]
    return specs
