"""What every benchmark script does with its figures: print them and write them as JSON."""

from __future__ import annotations

import json
from pathlib import Path


def report(result: dict, path: Path) -> dict:
    text = json.dumps(result, indent=2)
    print(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    return result
