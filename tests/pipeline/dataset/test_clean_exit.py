import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("action", ["list", "show", "verify"])
def test_a_command_that_opens_a_version_exits_with_nothing_on_stderr(tiny_version, action):
    # A thread or pool left running at interpreter exit shows up here as "terminate called
    # without an active exception", a library's warning as any other line.
    version = Path(tiny_version)
    target = version.parent.parent if action == "list" else version
    result = subprocess.run([sys.executable, "-m", "commands.cli", "dataset", action, str(target)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert version.name in result.stdout or action != "list"
