"""The import rule: schemas <- xpm core <- pipeline, trainers <- application commands. A training
cluster reads dataset versions and captioned shards without Apache Beam installed."""

import subprocess
import sys

import pytest

TRAINER_MODULES = [
    "trainers.student.train", "trainers.teacher.train", "trainers.student.calibrate_eta", "trainers.data.caption_shards",
    "trainers.data.pseudo_label_shards", "trainers.evaluation.evaluate", "trainers.evaluation.pseudo_label_quality",
    "trainers.evaluation.reliability_quality", "xpm.io.dataset_version", "xpm.io.shard_inputs",
]


@pytest.mark.parametrize("module", TRAINER_MODULES)
def test_trainers_and_version_readers_do_not_import_beam(module):
    code = f"import importlib, sys; importlib.import_module({module!r}); print('apache_beam' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_core_and_trainers_never_import_the_pipeline_or_the_commands():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    allowed = {"schemas": {"schemas"}, "xpm": {"schemas", "xpm", "pipeline", "trainers"}, "trainers": {"schemas", "xpm", "trainers"}}
    commands = ("xpm.demo", "xpm.study", "xpm.predict", "xpm.cli")
    bad = []
    for package in ("schemas", "trainers"):
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
                for name in names:
                    top = name.split(".")[0]
                    if top in ("schemas", "xpm", "pipeline", "trainers") and (
                            top not in allowed[package] or name.startswith(commands)):
                        bad.append(f"{path.relative_to(root)} imports {name}")
    assert bad == []
