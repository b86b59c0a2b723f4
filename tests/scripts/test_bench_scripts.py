import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


@pytest.mark.parametrize("script", sorted(p.name for p in SCRIPTS.glob("bench_*.py") if p.name != "bench_common.py"))
def test_every_benchmark_parses_its_arguments(script):
    """Benchmarks are run by hand and by bench_all; this keeps their command lines from rotting."""
    result = subprocess.run([sys.executable, str(SCRIPTS / script), "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout


def test_bench_all_says_what_to_run_first(tmp_path):
    result = subprocess.run([sys.executable, str(SCRIPTS / "bench_all.py"), "--demo", str(tmp_path / "none")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "run `xpm demo" in result.stderr
