import dataclasses

import pytest

from pipeline.config import PseudoLabelConfig
from pipeline.job import run_pseudo_label
from pipeline.labeler import labeler_chain, labeler_lineage
from schemas.dataset_version import labeler_of
from trainers.engine.config import EngineConfig, OptimConfig
from trainers.student.config import StudentConfig
from trainers.student.train import train_student
from xpm.io.dataset_version import open_version
from xpm.io.hashing import file_sha256
from xpm.modeling.checkpoint import read_checkpoint


def _student(world, teacher, version, out):
    config = StudentConfig(
        data=str(version), base_gt=str(world / "train" / "instances_base.json"), base_images=str(world / "train" / "images"),
        split=str(world / "split.json"), init=str(teacher), caption_batch_size=2, shuffle_buffer=4,
        optim=OptimConfig(optimizer="adamw", lr=1e-3, warmup_steps=1, schedule="constant", max_steps=2, batch_size=2),
        engine=EngineConfig(device="cpu", num_workers=0, checkpoint_every=2),
    )
    return train_student(config, out, progress=False).model_path


def _label(world, labeler, root, name):
    config = PseudoLabelConfig(input=str(world / "captioned" / "*.tar"), teacher=str(labeler), output=str(root), name=name,
                               device="cpu", alignment="eq2")
    return open_version(str(run_pseudo_label(config).version_dir))


@pytest.fixture(scope="module")
def two_rounds(tiny_world, tiny_teacher, tiny_version, module_dir):
    """Round 2's labels by a student of the teacher's version, round 3's by a student of round 2's."""
    root = module_dir
    student1 = _student(tiny_world, tiny_teacher, tiny_version, root / "student1")
    round2 = _label(tiny_world, student1, root, "round2")
    student2 = _student(tiny_world, tiny_teacher, round2.path, root / "student2")
    return student1, round2, student2, _label(tiny_world, student2, root, "round3")


def test_a_student_checkpoint_labels_captions_through_the_beam_job_and_names_what_it_was_trained_on(
        two_rounds, tiny_teacher, tiny_version):
    student1, round2, _, _ = two_rounds
    assert round2.manifest["counts"]["samples"] > 0
    labeler = round2.manifest["lineage"]["labeler"]
    assert labeler["kind"] == "student" and labeler["sha256"] == file_sha256(student1) and labeler["step"] == 2
    teacher_version = open_version(str(tiny_version))
    assert labeler["trained_on"]["version"] == teacher_version.path
    assert labeler["trained_on"]["version_sha256"] == teacher_version.sha256
    assert labeler["trained_on"]["labeler"] == {"kind": "teacher", "path": str(tiny_teacher), "sha256": file_sha256(tiny_teacher),
                                                "step": 2, "max_steps": 2}


def test_dataset_show_prints_the_chain_back_to_the_teacher(two_rounds, tiny_teacher, tiny_version, capsys):
    from commands.cli import main

    student1, round2, student2, round3 = two_rounds
    first = open_version(str(tiny_version))
    assert main(["dataset", "show", round3.path]) == 0
    shown = capsys.readouterr().out
    chain = [line.strip() for line in shown[shown.index("labelled by"):].splitlines()[:5]]
    assert chain == [f"labelled by student {student2} (sha256 {file_sha256(student2)[:12]}, step 2 of 2)",
                     f"trained on {round2.path} (sha256 {round2.sha256[:12]}), labelled by",
                     f"student {student1} (sha256 {file_sha256(student1)[:12]}, step 2 of 2)",
                     f"trained on {first.path} (sha256 {first.sha256[:12]}), labelled by",
                     f"teacher {tiny_teacher} (sha256 {file_sha256(tiny_teacher)[:12]}, step 2 of 2)"]


def test_a_student_whose_training_version_is_gone_ends_the_chain_and_says_so(tiny_teacher, tmp_path):
    checkpoint = read_checkpoint(tiny_teacher)
    student = dataclasses.replace(checkpoint, training={"step": 7, "config": {"data": str(tmp_path / "gone" / "v1")}})
    lineage = {"labeler": labeler_lineage(student, "s.pt", "ab" * 32)}
    assert labeler_chain(lineage) == ["student s.pt (sha256 abababababab, step 7)",
                                      f"trained on {tmp_path / 'gone' / 'v1'} (not readable when this version was labelled: the chain ends)"]


def test_a_version_written_before_labelers_were_recorded_is_labelled_by_its_teacher():
    assert labeler_of({"teacher": "t.pt", "teacher_sha256": "cd" * 32}) == {"kind": "teacher", "path": "t.pt", "sha256": "cd" * 32}
