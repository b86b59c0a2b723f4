#!/usr/bin/env bash
# Rewrites constraints.txt, the lock that scripts/setup.sh (and so CI) installs with. It makes a
# throwaway virtual environment, installs xpm with its test extras there without the old lock
# (so every dependency takes its newest release that setup.cfg allows), and freezes it. Run it
# to move the lock forward, then run the tests (bash scripts/test.sh reinstalls, since the
# lock's hash is in its install stamp) and commit constraints.txt.
#
# Run it on Linux x86-64 with the oldest Python that setup.sh accepts (XPM_PYTHON, default
# python3; 3.11 on Debian 12): a release that already dropped that Python would lock out the
# users of it, and torch's nvidia-* CUDA wheels are in the freeze as pinned, which platforms
# without them simply do not install.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

python="${XPM_PYTHON:-python3}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
echo "refresh_constraints: installing xpm into a fresh environment with $("$python" --version 2>&1) (several minutes)"
"$python" -m venv "$scratch/venv"
"$scratch/venv/bin/python" -m pip install -q --upgrade pip
"$scratch/venv/bin/python" -m pip install -q -e ".[test]"
{
  echo "# The exact dependency versions xpm is tested with: scripts/setup.sh (and so CI) installs with"
  echo "# \`pip install -c constraints.txt\`. Written by scripts/refresh_constraints.sh; do not edit."
  "$scratch/venv/bin/python" -m pip freeze --exclude-editable
} > "$scratch/constraints.txt"
mv "$scratch/constraints.txt" constraints.txt
echo "refresh_constraints: wrote constraints.txt; changes:"
git --no-pager diff --stat -- constraints.txt
