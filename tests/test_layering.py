"""The import rule, one layer per top-level package: schemas <- xpm (the core) <- pipeline,
trainers <- commands (the application commands). A training cluster reads dataset versions and
captioned shards without Apache Beam installed."""

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


# Each top-level package is one layer -> the layers it may import.
ALLOWED = {"schemas": {"schemas"}, "xpm": {"schemas", "xpm"}, "pipeline": {"schemas", "xpm", "pipeline"},
           "trainers": {"schemas", "xpm", "trainers"}, "commands": {"schemas", "xpm", "pipeline", "trainers", "commands"}}


def _packages(root) -> list[str]:
    return sorted(path.parent.name for path in root.glob("*/__init__.py"))


def _violations(root) -> list[str]:
    import ast

    bad = []
    for package in _packages(root):
        if package not in ALLOWED:
            bad.append(f"package {package} is in no layer; add it to ALLOWED")
            continue
        for path in sorted((root / package).rglob("*.py")):
            module = ".".join(path.relative_to(root).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
                for name in names:
                    target = name.split(".")[0]
                    if target in ALLOWED and target not in ALLOWED[package]:
                        bad.append(f"{module} imports {name}")
    return bad


def test_every_package_imports_only_the_layers_below_it():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    assert set(_packages(root)) == set(ALLOWED)
    assert _violations(root) == []


def test_an_upward_import_anywhere_is_found(tmp_path):
    sources = {
        "schemas/a.py": "import xpm.io\n",
        "xpm/io/b.py": "from pipeline.job import run\n",
        "xpm/c.py": "import commands.cli\n",
        "commands/cli.py": "import pipeline, trainers\n",
        "pipeline/c.py": "from trainers.engine import x\nfrom commands.demo import y\n",
        "trainers/d.py": "from xpm.modeling import z\n",
        "tools/e.py": "import xpm\n",
    }
    for name, text in sources.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
        (tmp_path / name.split("/")[0] / "__init__.py").touch()
    assert _violations(tmp_path) == ["pipeline.c imports trainers.engine", "pipeline.c imports commands.demo",
                                     "schemas.a imports xpm.io", "package tools is in no layer; add it to ALLOWED",
                                     "xpm.c imports commands.cli", "xpm.io.b imports pipeline.job"]
