#!/usr/bin/env bash
# Idempotent set-up on Debian: system data (WordNet 3.0, the emoji font), a virtual environment
# in .venv, and xpm installed into it in editable mode with its test extras, at the versions
# constraints.txt locks. Safe to rerun: each step is skipped when already done.
#
# Environment:
#   XPM_PYTHON       interpreter for .venv (default python3); must be CPython 3.11, 3.12 or 3.13
#   XPM_SKIP_APT=1   continue without the Debian packages (not Debian: provide them by hand)
#   XPM_TORCH_INDEX  extra package index for torch, e.g. https://download.pytorch.org/whl/cpu:
#                    CPU-only torch wheels, without the several GB of CUDA wheels PyPI's torch
#                    pulls in on Linux. Optional; CI does not use it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

python="${XPM_PYTHON:-python3}"
# The oldest and newest Python that constraints.txt installs on: its pins (numpy 2.4,
# transformers 5) dropped 3.10, and 3.14 is untested.
python_min=3.11 python_max=3.13
python_hint="xpm needs CPython $python_min to $python_max. Debian 12 and 13 ship one as python3; elsewhere install one
  (e.g. 'uv python install 3.12' or 'pyenv install 3.12') and rerun with XPM_PYTHON=/path/to/python3.12."

apt_packages=(wordnet-base wordnet-sense-index fonts-noto-color-emoji chromium)
# A minimal Debian has no python3, and Debian's python3 has no venv/ensurepip without
# python3-venv: install them with the rest when .venv is still to be made with python3.
need_python=0
if [[ ! -x .venv/bin/python && -z "${XPM_PYTHON:-}" ]] && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  need_python=1
  apt_packages+=(python3 python3-venv)
fi
missing=()
for package in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null; then
    echo "xpm setup: this is not a Debian-like system (no apt-get). Provide by hand:" >&2
    echo "  - WordNet 3.0 for nltk: python -c \"import nltk; nltk.download('wordnet')\" (or set XPM_NLTK_DATA)" >&2
    echo "  - the Noto Color Emoji font: set XPM_EMOJI_FONT=/path/to/NotoColorEmoji.ttf" >&2
    ((need_python)) && echo "  - a Python with venv: $python_hint" >&2
    echo "then rerun with XPM_SKIP_APT=1." >&2
    [[ "${XPM_SKIP_APT:-0}" == 1 ]] || exit 1
  else
    as_root=()
    if [[ $(id -u) -ne 0 ]]; then
      # -n: a sudo that wants a password fails at once instead of waiting for one (CI has no tty).
      if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        as_root=(sudo -n)
      else
        echo "xpm setup: need root to install ${missing[*]}. Run as root:" >&2
        echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
        echo "then rerun bash scripts/setup.sh." >&2
        exit 1
      fi
    fi
    echo "xpm setup: installing ${missing[*]}"
    "${as_root[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

if [[ ! -x .venv/bin/python ]]; then
  if ! command -v "$python" >/dev/null; then
    echo "xpm setup: no Python interpreter '$python'. $python_hint" >&2
    exit 1
  fi
  if ! "$python" -c "import sys; sys.exit(not (${python_min/./, }) <= sys.version_info[:2] <= (${python_max/./, }))" 2>/dev/null; then
    echo "xpm setup: $python is $("$python" --version 2>&1). $python_hint" >&2
    exit 1
  fi
  if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "xpm setup: $python cannot create a virtual environment (no venv/ensurepip module); on Debian:" >&2
    echo "  apt-get install -y python3-venv   (as root; python3.N-venv for another python3.N)" >&2
    exit 1
  fi
  echo "xpm setup: creating .venv with $("$python" --version 2>&1)"
  "$python" -m venv .venv
fi
stamp=.venv/.xpm-install-stamp
wanted="$({ cat setup.cfg pyproject.toml constraints.txt; echo "torch index: ${XPM_TORCH_INDEX:-}"; } | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
  echo "xpm setup: installing xpm and its dependencies into .venv (first time: several minutes)"
  log=.venv/xpm-install.log
  # The CPU index serves torch as 2.14.1+cpu, which the lock's torch==2.14.1 admits and pip
  # prefers over PyPI's 2.14.1; without CUDA torch, its nvidia-* pins go unused.
  index=(); [[ -n "${XPM_TORCH_INDEX:-}" ]] && index=(--extra-index-url "$XPM_TORCH_INDEX")
  if ! { .venv/bin/python -m pip install -q --upgrade pip &&
         .venv/bin/python -m pip install "${index[@]}" -c constraints.txt -e ".[test]"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "xpm setup: pip install failed; the whole log is $log" >&2
    exit 1
  fi
  echo "$wanted" > "$stamp"
fi
