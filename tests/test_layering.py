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


# The application commands (xpm.<name>): inside the xpm package, above pipeline and trainers.
COMMANDS = {"cli", "demo", "study", "predict", "experiment", "rounds"}
# Layer -> the layers it may import.
ALLOWED = {"schemas": {"schemas"}, "core": {"schemas", "core"}, "pipeline": {"schemas", "core", "pipeline"},
           "trainers": {"schemas", "core", "trainers"}, "commands": {"schemas", "core", "pipeline", "trainers", "commands"}}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "xpm":
        return "commands" if len(parts) > 1 and parts[1] in COMMANDS else "core"
    return parts[0] if parts[0] in ("schemas", "pipeline", "trainers") else None


def _violations(root) -> list[str]:
    import ast

    bad = []
    for package in ("schemas", "xpm", "pipeline", "trainers"):
        for path in sorted((root / package).rglob("*.py")):
            module = ".".join(path.relative_to(root).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
                for name in names:
                    target = _layer(name)
                    if target is not None and target not in ALLOWED[_layer(module)]:
                        bad.append(f"{module} imports {name}")
    return bad


def test_every_package_imports_only_the_layers_below_it():
    from pathlib import Path

    assert _violations(Path(__file__).resolve().parent.parent) == []


def test_an_upward_import_anywhere_is_found(tmp_path):
    sources = {
        "schemas/a.py": "import xpm.io\n",
        "xpm/io/b.py": "from pipeline.job import run\n",
        "xpm/cli.py": "import pipeline, trainers\n",
        "pipeline/c.py": "from trainers.engine import x\nfrom xpm.demo import y\n",
        "trainers/d.py": "from xpm.modeling import z\n",
    }
    for name, text in sources.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert _violations(tmp_path) == ["schemas.a imports xpm.io", "xpm.io.b imports pipeline.job",
                                     "pipeline.c imports trainers.engine", "pipeline.c imports xpm.demo"]
