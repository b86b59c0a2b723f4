#!/usr/bin/env bash
# Idempotent set-up on Debian: system data (WordNet 3.0, the emoji font), a virtual environment
# in .venv, and xpm installed into it in editable mode with its test extras. Safe to rerun: each
# step is skipped when already done.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

apt_packages=(wordnet-base wordnet-sense-index fonts-noto-color-emoji chromium)
missing=()
for package in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null; then
    echo "xpm setup: this is not a Debian-like system (no apt-get). Provide by hand:" >&2
    echo "  - WordNet 3.0 for nltk: python -c \"import nltk; nltk.download('wordnet')\" (or set XPM_NLTK_DATA)" >&2
    echo "  - the Noto Color Emoji font: set XPM_EMOJI_FONT=/path/to/NotoColorEmoji.ttf" >&2
    echo "then rerun with XPM_SKIP_APT=1." >&2
    [[ "${XPM_SKIP_APT:-0}" == 1 ]] || exit 1
  elif [[ $(id -u) -ne 0 ]] && ! command -v sudo >/dev/null; then
    echo "xpm setup: need root to install ${missing[*]}: run 'apt-get install -y ${missing[*]}' as root, then rerun." >&2
    exit 1
  else
    sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    echo "xpm setup: installing ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

python="${XPM_PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
  echo "xpm setup: creating .venv with $($python --version 2>&1)"
  "$python" -m venv .venv
fi
stamp=.venv/.xpm-install-stamp
wanted="$(cat setup.cfg pyproject.toml | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
  echo "xpm setup: installing xpm and its dependencies into .venv (first time: several minutes)"
  log=.venv/xpm-install.log
  if ! { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -e ".[test]"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "xpm setup: pip install failed; the whole log is $log" >&2
    exit 1
  fi
  echo "$wanted" > "$stamp"
fi
