"""``vigia tray`` as a user runs it, on a real (virtual) desktop: launch time and idle cost.

The desktop is the end-to-end tests' harness (tests/e2e/desktop_session.py): Xvfb, a
private D-Bus session bus, trayer (an XEmbed system tray) and dunst, all in a temp dir.
Each launch runs ``.venv/bin/vigia tray`` with a fresh ``VIGIA_HOME`` (so the time
includes creating the database and its migrations) and only these settings:
``VIGIA_HOME``, ``VIGIA_PORT=0`` (the real port is read from ``vigia.run.json``),
``VIGIA_ADMIN_TOKEN``, ``VIGIA_SECRET_KEY`` and ``PYTHON_KEYRING_BACKEND`` set to keyring's
"fail" backend (never the desktop keyring of whoever runs this), as in bench_backend.py.

- **launch → /readyz**: from ``Popen`` until the embedded backend answers ``GET /readyz``
  200 (polled every 5 ms, a new connection each time).
- **idle** (the last launch only): once the tray's supervisor has logged ``-> running``,
  the icon is docked in trayer and no dashboard window is shown, ``--settle`` seconds
  pass, then the CPU time (user + system, every thread, plus any children) of the tray
  process is read at the start and the end of ``--idle`` seconds, and its RSS (plus any
  children's) every second. The tray and the embedded backend are one process.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from bench_servers import PYTHON, http
from bench_tray_machine import Busy, Load
from bench_tray_recovery import ADMIN_TOKEN, SECRET_KEY

from tests.e2e.desktop_session import TOOLS, DesktopSession, desktop_session

VIGIA = str(Path(PYTHON).with_name("vigia"))
DASHBOARD = "^Vigia — dashboard$"


@dataclass
class Idle:
    seconds: float
    cpu_s: float  # CPU seconds used over the window
    rss_max: int  # bytes
    rss_end: int
    pss_end: int  # proportional set size: shared pages split among the processes using them
    uss_end: int  # unique set size: what quitting the tray would give back
    threads: int
    children: int
    icon_docked: bool
    dashboard_shown: bool
    backups_made: int  # files in the backups folder after the window (the startup backup)
    load: Load

    @property
    def cpu_pct(self) -> float:
        return 100.0 * self.cpu_s / self.seconds


@dataclass
class Launches:
    readyz_s: list[float] = field(default_factory=list)
    loads: list[Load] = field(default_factory=list)
    idle: Idle | None = None


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


class TrayProcess:
    def __init__(self, session: DesktopSession, base: Path) -> None:
        self.home = base / "home"
        base.mkdir(parents=True)
        env = dict(session.env)
        env.update(
            VIGIA_HOME=str(self.home),
            VIGIA_PORT="0",
            VIGIA_ADMIN_TOKEN=ADMIN_TOKEN,
            VIGIA_SECRET_KEY=SECRET_KEY,
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        )
        with (base / "tray.out").open("wb") as out:
            self.started = time.perf_counter()
            self.proc = subprocess.Popen(
                [VIGIA, "tray"],
                cwd=base,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.base = base

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            tail = (self.base / "tray.out").read_text("utf-8", "replace")[-3000:]
            raise RuntimeError(f"vigia tray exited with {self.proc.returncode}:\n{tail}")

    def wait_readyz(self, timeout_s: float = 120) -> float:
        """Seconds from the launch to the first /readyz 200."""
        run_file = self.home / "vigia.run.json"
        deadline = time.monotonic() + timeout_s
        base: str | None = None
        while True:
            self.check_alive()
            if base is None:
                with contextlib.suppress(OSError, ValueError, KeyError):
                    base = f"http://127.0.0.1:{int(json.loads(run_file.read_text())['port'])}"
            if base is not None:
                with contextlib.suppress(OSError):
                    status, _ = http("GET", base + "/readyz", timeout=2.0)
                    if status == 200:
                        return time.perf_counter() - self.started
            if time.monotonic() > deadline:
                raise RuntimeError(f"vigia tray: no /readyz 200 within {timeout_s:.0f} s")
            time.sleep(0.005)

    def wait_running(self, timeout_s: float = 60) -> None:
        log = self.home / "logs" / "backend.jsonl"
        deadline = time.monotonic() + timeout_s
        while True:
            self.check_alive()
            with contextlib.suppress(OSError):
                for line in log.read_text("utf-8", "replace").splitlines():
                    with contextlib.suppress(ValueError):
                        record = json.loads(line)
                        msg = str(record.get("msg", ""))
                        if record.get("logger") == "desktop.core.supervisor" and msg.startswith(
                            "backend starting -> running"
                        ):
                            return
            if time.monotonic() > deadline:
                raise RuntimeError(f"vigia tray: not running within {timeout_s:.0f} s")
            time.sleep(0.1)

    def quit(self) -> int:
        """SIGTERM (a clean quit: the backend stops gracefully); SIGKILL after 60 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                return self.proc.wait(10)
        return self.proc.returncode


def _tree(proc: psutil.Process) -> tuple[float, int, int, int]:
    """(CPU seconds, RSS bytes, threads, live children) of a process and its children."""
    times = proc.cpu_times()
    cpu = times.user + times.system + times.children_user + times.children_system
    rss = proc.memory_info().rss
    threads = proc.num_threads()
    children = proc.children(recursive=True)
    for child in children:
        with contextlib.suppress(psutil.Error):
            t = child.cpu_times()
            cpu += t.user + t.system
            rss += child.memory_info().rss
    return cpu, rss, threads, len(children)


def measure_idle(
    tray: TrayProcess, session: DesktopSession, idle_s: float, settle_s: float
) -> Idle:
    tray.wait_running()
    icon_docked = bool(_wait(lambda: session.tray_icons(), 15))
    time.sleep(settle_s)
    dashboard_shown = bool(session.visible_windows(DASHBOARD))
    proc = psutil.Process(tray.proc.pid)
    busy = Busy(extra_pids=(tray.proc.pid,))
    cpu0, rss, _, _ = _tree(proc)
    started = time.monotonic()
    rss_max = rss
    while (left := started + idle_s - time.monotonic()) > 0:
        time.sleep(min(1.0, left))
        tray.check_alive()
        _, rss, _, _ = _tree(proc)
        rss_max = max(rss_max, rss)
    cpu1, rss_end, threads, children = _tree(proc)
    elapsed = time.monotonic() - started
    full = proc.memory_full_info()  # after the window: reading smaps costs CPU
    load = busy.done()
    backups = tray.home / "backups"
    made = sum(1 for p in backups.rglob("*") if p.is_file()) if backups.is_dir() else 0
    return Idle(
        elapsed,
        cpu1 - cpu0,
        max(rss_max, rss_end),
        rss_end,
        full.pss,
        full.uss,
        threads,
        children,
        icon_docked,
        dashboard_shown or bool(session.visible_windows(DASHBOARD)),
        made,
        load,
    )


def _wait(predicate: Callable[[], object], timeout_s: float) -> object:
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(AssertionError, subprocess.SubprocessError):
            value = predicate()
            if value:
                return value
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)


def run_launches(workdir: Path, launches: int, idle_s: float, settle_s: float) -> Launches:
    """``launches`` fresh launches; the idle cost is measured on the last one."""
    if missing := missing_tools():
        raise SystemExit(
            f"the real-desktop harness needs {', '.join(missing)} "
            "(bash scripts/system-deps.sh installs them)"
        )
    result = Launches()
    with desktop_session(workdir / "desktop") as session:
        for i in range(launches):
            busy = Busy()
            tray = TrayProcess(session, workdir / f"tray-{i}")
            try:
                result.readyz_s.append(tray.wait_readyz())
                result.loads.append(busy.done())
                if i == launches - 1 and idle_s > 0:
                    result.idle = measure_idle(tray, session, idle_s, settle_s)
                else:
                    tray.wait_running()
            finally:
                code = tray.quit()
            if code != 0:
                raise RuntimeError(f"vigia tray quit with exit code {code}; see {tray.base}")
    return result
