"""Progress lines for long jobs: a count, its rate, an ETA when the total is known, and whatever
else the job counts (rejects so far). Written through the ``xpm.progress`` logger at most every
few seconds, so they reach a terminal, a log file or a distributed runner's worker logs alike;
``xpm COMMAND --quiet`` turns them off."""

from __future__ import annotations

import logging
import sys
import time

LOGGER = "xpm.progress"
INTERVAL_S = 5.0


def show_progress(enabled: bool) -> None:
    """Route progress lines to stderr (the CLI calls this once per command)."""
    logger = logging.getLogger(LOGGER)
    logger.propagate = False
    logger.handlers.clear()
    if enabled:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO if enabled else logging.WARNING)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """``update`` after each unit of work; a line goes out on the first update, then at most
    every ``interval`` seconds, and on the last unit when ``total`` is known."""

    def __init__(self, what: str, unit: str, *, total: int | None = None, initial: int = 0, interval: float = INTERVAL_S):
        """``initial``: units done before this process started (a resumed job), shown but not in the rate."""
        self.what, self.unit, self.total, self.interval = what, unit, total, interval
        self.initial, self.done, self.status = initial, initial, {}
        self._started = time.perf_counter()
        self._last: float | None = None

    def update(self, count: int = 1, **status) -> None:
        self.done += count
        self.status.update(status)
        now = time.perf_counter()
        finished = self.total is not None and self.done >= self.total
        if self._last is None or now - self._last >= self.interval or finished:
            self._last = now
            logging.getLogger(LOGGER).info(self.line(now))

    def line(self, now: float | None = None) -> str:
        elapsed = max((now or time.perf_counter()) - self._started, 1e-9)
        rate = (self.done - self.initial) / elapsed
        parts = [f"{self.what}: {self.done}" + (f"/{self.total}" if self.total is not None else "") + f" {self.unit}",
                 f"{rate:.3g} {self.unit}/s", f"elapsed {_duration(elapsed)}"]
        if self.total is not None and rate > 0 and self.done < self.total:
            parts.append(f"ETA {_duration((self.total - self.done) / rate)}")
        parts += [f"{name.replace('_', ' ')} {value}" for name, value in self.status.items()]
        return ", ".join(parts)
