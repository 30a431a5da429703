"""How busy the machine was while something was measured, and what machine it is.

:class:`Busy` takes a snapshot of the load average, the machine's CPU time (``/proc/stat``)
and the CPU time of this benchmark's own process tree, and at :meth:`Busy.done` says what
share of the machine's CPU went to *other* processes meanwhile (a CI run, another
engineer's tests). A 2-core machine shared with a busy neighbour stretches every latency
measured here, so the report prints both next to each row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import resource
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import psutil
from bench_wrk import NCPU, machine_busy_s


def tree_cpu_s(extra_pids: tuple[int, ...] = ()) -> float:
    """CPU seconds of this process (all threads), its reaped children, every live
    descendant (with the children those reaped) and ``extra_pids``."""
    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    total += ru.ru_utime + ru.ru_stime
    seen = {me.pid}
    procs = me.children(recursive=True)
    for pid in extra_pids:
        with contextlib.suppress(psutil.Error):
            procs.append(psutil.Process(pid))
    for proc in procs:
        if proc.pid in seen:
            continue
        seen.add(proc.pid)
        with contextlib.suppress(psutil.Error):
            t = proc.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total


@dataclass(frozen=True)
class Load:
    loadavg: tuple[float, float, float]  # at the start
    others_pct: float  # share of the machine's CPU (all cores) used by other processes

    def cell(self) -> str:
        one, five, fifteen = self.loadavg
        return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


class Busy:
    """``busy = Busy(); ...measure...; load = busy.done()``."""

    def __init__(self, extra_pids: tuple[int, ...] = ()) -> None:
        self.extra_pids = extra_pids
        self.loadavg = os.getloadavg()
        self._t0 = time.monotonic()
        self._machine0 = machine_busy_s()
        self._ours0 = tree_cpu_s(extra_pids)

    def done(self) -> Load:
        elapsed = time.monotonic() - self._t0
        others = machine_busy_s() - self._machine0 - (tree_cpu_s(self.extra_pids) - self._ours0)
        pct = max(0.0, 100.0 * others / (elapsed * NCPU)) if elapsed > 0 else 0.0
        return Load(self.loadavg, pct)


def _ver(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_lines(extra: list[str]) -> list[str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = psutil.virtual_memory().total / 1024**3
    dists = ["PySide6-Essentials", "pyqtgraph", "uvicorn", "fastapi", "sqlalchemy", "psutil"]
    return [
        f"- date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: {NCPU} logical CPUs ({cpu}), {memory:.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; " + ", ".join(f"{d} {_ver(d)}" for d in dists),
        *extra,
        "- load average (1 / 5 / 15 min) at report time: "
        + " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    ]
