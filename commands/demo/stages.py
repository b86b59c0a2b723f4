"""The demo's stages, each a thin call into the package that owns the job. Every stage reuses
what an earlier (possibly interrupted) demo left in OUT when it was made from the same inputs,
and the trainers resume from their last checkpoint, so running the demo again resumes it."""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources
from pathlib import Path

from commands.demo.config import DemoConfig, DemoSizes
from xpm.io.atomic import write_text_atomically
from xpm.io.hashing import file_sha256

TEACHER_CONFIG = "teacher_cpu.yaml"
STUDENT_CONFIG = "student_cpu.yaml"
# The calibration student only estimates noise levels (paper, footnote 2): no reliability weighting.
CALIBRATION_LOSSES = "gt+x+m"


def packaged_config(cls, name: str, overrides: dict):
    from xpm.config import load_config

    with resources.as_file(resources.files("xpm") / "configs" / name) as path:
        return load_config(cls, path, overrides)


def make_world(config: DemoConfig, sizes: DemoSizes, out: Path):
    from xpm.synth.config import SynthConfig
    from xpm.synth.world import synthesize

    world = SynthConfig(seed=config.seed, split=config.split, caption_noise=config.caption_noise, **sizes.world)
    return synthesize(world, out)


def train_teacher_stage(config: DemoConfig, sizes: DemoSizes, world: Path, out: Path):
    from trainers.teacher.config import TeacherConfig
    from trainers.teacher.train import train_teacher

    overrides = {
        "train_gt": str(world / "train" / "instances_base.json"),
        "train_images": str(world / "train" / "images"),
        "split": str(world / "split.json"),
        "captioned": str(world / "captioned" / "*.tar"),
        "engine": {"device": config.device, "seed": config.seed},
        "optim": {"max_steps": sizes.teacher_steps} if sizes.teacher_steps else {},
    }
    return train_teacher(packaged_config(TeacherConfig, TEACHER_CONFIG, overrides), out)


# Every figure the demo reports is measured on the world's held-out images; val/ is for choosing.
EVALUATION_PART = "test"


def evaluate_stage(config: DemoConfig, world: Path, model_path: Path, json_path: Path, *, oracle: bool = False) -> dict:
    """Table 2 of one checkpoint on the world's test/ images, kept beside it; reused while the
    checkpoint and the evaluated part are unchanged."""
    from trainers.evaluation.evaluate import evaluate_checkpoint

    if json_path.is_file():
        previous = json.loads(json_path.read_text())
        meta = previous.get("meta", {})
        if meta.get("model_sha256") == file_sha256(model_path) and meta.get("gt") == str(world / EVALUATION_PART / "instances.json"):
            return previous
    result = evaluate_checkpoint(model_path, world / EVALUATION_PART / "instances.json", world / EVALUATION_PART / "images",
                                 world / "split.json", device=config.device, oracle=oracle)
    write_text_atomically(json_path, json.dumps(result, indent=2, allow_nan=False) + "\n")
    return result


def pseudo_label_stage(config: DemoConfig, world: Path, teacher: Path, root: Path, *, alignment: str | None = None,
                       dataset: str = "world") -> tuple[Path, bool]:
    """The dataset version of this teacher's pseudo labels under ``alignment`` (the pipeline's
    default when None): the newest one under ``root/dataset`` when its lineage names this very
    teacher and rule, else a new version from the Beam pipeline."""
    from pipeline.config import PseudoLabelConfig
    from xpm.io.dataset_version import open_version
    from pipeline.job import run_pseudo_label
    from xpm.config import ConfigError

    wanted = PseudoLabelConfig(input=str(world / "captioned" / "*.tar"), teacher=str(teacher), output=str(root), name=dataset,
                               device=config.device)
    if alignment is not None:
        wanted = replace(wanted, alignment=alignment)
    try:
        newest = open_version(str(root / dataset))
        lineage = newest.manifest["lineage"]
        # A version derived from the demo's (xpm dataset derive) has its teacher and rule, not its labels.
        if ("derived_from" not in lineage and lineage["teacher_sha256"] == file_sha256(teacher)
                and lineage["config"]["alignment"] == wanted.alignment):
            return Path(newest.path), True
    except (ConfigError, FileNotFoundError):
        pass
    return Path(run_pseudo_label(wanted).version_dir), False


def robust_alpha_scale() -> str:
    """How the packaged robust student scales alpha: the demo calibrates eta only for "eta"."""
    from trainers.student.config import StudentConfig

    placeholders = {name: "-" for name in ("data", "base_gt", "base_images", "split", "init")}
    return packaged_config(StudentConfig, STUDENT_CONFIG, placeholders).alpha_scale


def student_config(config: DemoConfig, sizes: DemoSizes, world: Path, teacher: Path, version: Path, *, losses: str,
                   eta: float | None = None):
    from trainers.student.config import StudentConfig

    overrides = {
        "data": str(version),
        "base_gt": str(world / "train" / "instances_base.json"),
        "base_images": str(world / "train" / "images"),
        "split": str(world / "split.json"),
        "init": str(teacher),
        "losses": losses,
        **({"eta": eta} if eta is not None else {}),
        "engine": {"device": config.device, "seed": config.seed},
        "optim": {"max_steps": sizes.student_steps} if sizes.student_steps else {},
    }
    return packaged_config(StudentConfig, STUDENT_CONFIG, overrides)


def train_student_stage(student, out: Path):
    from trainers.student.train import train_student

    return train_student(student, out)


def calibrate_eta_stage(config: DemoConfig, sizes: DemoSizes, world: Path, teacher: Path, version: Path, out: Path) -> dict:
    """Eq. 7's eta as the paper sets it: train a student briefly without reliability weighting,
    then take the smallest average noise it predicts over captioned images."""
    from trainers.student.calibrate_eta import calibrate_eta

    result_path = out / "eta.json"
    if result_path.is_file():
        return json.loads(result_path.read_text())
    calibration = student_config(config, sizes, world, teacher, version, losses=CALIBRATION_LOSSES, eta=0.01)
    calibration = replace(calibration, optim=replace(calibration.optim, max_steps=sizes.calibration_steps))
    run = train_student_stage(calibration, out)
    result = calibrate_eta(run.model_path, version, images=sizes.calibration_images, device=config.device, seed=config.seed)
    write_text_atomically(result_path, json.dumps(result, indent=2) + "\n")
    return result


def train_oracle_stage(config: DemoConfig, sizes: DemoSizes, world: Path, teacher: Path, student, out: Path):
    """The teacher continued for the student's budget (steps, images per step, optimizer) on the
    same images with ground truth of base and target classes: the upper bound of the method."""
    from schemas.split import read_split
    from trainers.teacher.config import TeacherConfig
    from trainers.teacher.train import train_teacher
    from xpm.config import to_dict
    from commands.demo.oracle_data import build_oracle_data

    gt, images = build_oracle_data(world, read_split(world / "split.json"), out / "data")
    optim = to_dict(student.optim)
    optim["batch_size"] = student.optim.batch_size + student.caption_batch_size
    overrides = {
        "train_gt": str(gt), "train_images": str(images), "split": str(world / "split.json"),
        "init": str(teacher), "oracle": True, "optim": optim,
        "engine": {"device": config.device, "seed": config.seed},
    }
    return train_teacher(packaged_config(TeacherConfig, TEACHER_CONFIG, overrides), out / "model")
