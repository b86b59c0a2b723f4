#!/usr/bin/env bash
# The README's main command: set up (idempotent), then `xpm demo` on the synthetic world.
# Extra args go to `xpm demo` (e.g. --quick, --out DIR, --seed S).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
cd "$root"
exec .venv/bin/xpm demo "$@"
