"""A Dask cluster of real processes on this machine (a scheduler and single-threaded workers on
127.0.0.1), started exactly as on many machines: for the tests and the benchmark of the job on
DaskRunner, and for a user trying DaskRunner before a real cluster."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

# Dask's nanny gives its workers one BLAS thread; these workers run without a nanny (so a test
# can kill one), and get the same by environment.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalDaskCluster:
    """``with LocalDaskCluster(log_dir, workers=2) as cluster:`` ... ``cluster.address``; every
    process is killed on exit. ``worker_processes`` are the workers' ``Popen`` objects."""

    def __init__(self, log_dir: str | Path, workers: int = 2, timeout_s: float = 120):
        self.log_dir, self.workers, self.timeout_s = Path(log_dir), workers, timeout_s
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        self.client = None
        self.scheduler = None
        self.worker_processes: list[subprocess.Popen] = []
        self._logs = []

    def _start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "w")
        self._logs.append(log)
        return subprocess.Popen([sys.executable, "-m", "dask", *argv], env={**os.environ, **ONE_THREAD}, cwd=self.log_dir,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def __enter__(self) -> "LocalDaskCluster":
        from distributed import Client

        self.log_dir.mkdir(parents=True, exist_ok=True)
        port = self.address.rsplit(":", 1)[1]
        try:
            self.scheduler = self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"])
            self.worker_processes = [
                self._start(f"worker{i}", ["worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                           "--name", f"w{i}"])
                for i in range(self.workers)
            ]
            self.client = Client(self.address, timeout=self.timeout_s)
            self.client.wait_for_workers(self.workers, timeout=self.timeout_s)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        for process in [p for p in (self.scheduler, *self.worker_processes) if p is not None]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        for log in self._logs:
            log.close()
