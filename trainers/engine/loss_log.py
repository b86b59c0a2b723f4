"""Per-step losses as CSV (one row per logged step), ready for a spreadsheet or pandas."""

from __future__ import annotations

import csv
from pathlib import Path

from xpm.io.atomic import write_text_atomically


class LossLog:
    """Appends rows (``step`` counts optimizer updates, from 1); on resume from step s, rows after
    s — written after the checkpoint being resumed — are dropped first, so that the file holds
    each step once, exactly as an uninterrupted run would have written it."""

    def __init__(self, path: str | Path, *, resume_from_step: int = 0):
        self.path = Path(path)
        self._columns: list[str] | None = None
        if self.path.is_file():
            with self.path.open(newline="") as stream:
                reader = csv.DictReader(stream)
                self._columns = reader.fieldnames
                rows = [row for row in reader if int(row["step"]) <= resume_from_step]
            if self._columns:
                lines = [",".join(self._columns)] + [",".join(row[c] for c in self._columns) for row in rows]
                write_text_atomically(self.path, "\n".join(lines) + "\n")

    def write(self, step: int, values: dict[str, float]) -> None:
        row = {"step": step, **values}
        if self._columns is None:
            self._columns = list(row)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(",".join(self._columns) + "\n")
        missing = set(self._columns) ^ set(row)
        if missing:
            raise ValueError(f"loss log {self.path}: columns {sorted(missing)} differ from the file's header.")
        with self.path.open("a") as stream:
            stream.write(",".join(_format(row[c]) for c in self._columns) + "\n")


def _format(value) -> str:
    return str(value) if isinstance(value, int) else f"{value:.6g}"


def read_loss_log(path: str | Path) -> list[dict[str, float]]:
    with Path(path).open(newline="") as stream:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(stream)]
