"""Per-step losses as CSV (one row per logged step), ready for a spreadsheet or pandas, and the
same values as TensorBoard event files in the run folder, so ``tensorboard --logdir runs/`` shows
every run (teacher, students, oracle) side by side."""

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
        self._resume_from_step = resume_from_step
        self._writer = None
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
        writer = self._events()
        for name, value in values.items():
            writer.add_scalar(_tag(name), value, step)

    def _events(self):
        if self._writer is None:
            from torch.utils.tensorboard import SummaryWriter

            # purge_step: a resumed run's events after its checkpoint are hidden, as its CSV rows are dropped
            self._writer = SummaryWriter(str(self.path.parent), flush_secs=10,
                                         purge_step=self._resume_from_step + 1 if self._resume_from_step else None)
        return self._writer

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _tag(name: str) -> str:
    """TensorBoard groups tags by their prefix: the loss terms in one section, the rest in another."""
    return f"loss/{name}" if name.startswith("loss") or name == "total" else f"train/{name}"


def _format(value) -> str:
    return str(value) if isinstance(value, int) else f"{value:.6g}"


def read_loss_log(path: str | Path) -> list[dict[str, float]]:
    with Path(path).open(newline="") as stream:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(stream)]
