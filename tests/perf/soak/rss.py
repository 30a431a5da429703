"""The server's resident memory, sampled every second on a thread while the load runs.

RSS is what the issue's goal is about (growth ≤ 10 % after warm-up). ``vigia serve`` is
one process; any children it might start are added, so nothing escapes the sum.
"""

from __future__ import annotations

import contextlib
import threading
import time

import psutil


def rss_bytes(pid: int) -> int:
    """RSS of ``pid`` plus its descendants (0 once it is gone)."""
    try:
        proc = psutil.Process(pid)
        total = proc.memory_info().rss
        for child in proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
        return int(total)
    except psutil.Error:
        return 0


class RssSampler:
    """``samples`` holds (time.monotonic(), bytes) once a second until ``stop``."""

    def __init__(self, pid: int, interval: float = 1.0) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-rss", daemon=True)

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                return

    def sample(self) -> int:
        rss = rss_bytes(self.pid)
        self.samples.append((time.monotonic(), rss))
        return rss

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def between(self, t0: float, t1: float) -> list[int]:
        return [rss for t, rss in self.samples if t0 <= t <= t1 and rss > 0]
