"""Crash and restart of the embedded backend, in this process, as the tray runs it.

The real :class:`~desktop.core.monitor.Monitor` (supervisor, health poller, alerts,
history) drives the real :class:`~embedded_backend.server.ServerRunner` on SQLite in a
temp ``VIGIA_HOME``, with the tray's default settings (``DesktopConfig()``,
``RestartPolicy()``). The app is Vigia's own (``create_app``) plus one route,
``POST /bench/crash``, the technique of ``tests/desktop/core/test_supervisor_live.py``:
50 ms after answering it stops uvicorn's event loop under it, ``asyncio.run`` raises and
the server thread ends with an exception, which is what a crash of that thread is. The
moment the loop is stopped is the crash time; every supervisor transition is timed as it
is emitted (on the supervisor's thread).

The Restart entry of the tray's menu calls ``Supervisor.restart()`` and nothing else
(``TrayApp.restart_backend``); :meth:`Recovery.restart_once` makes that same call.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi import FastAPI

from desktop.core.monitor import Monitor
from desktop.core.supervisor import State, Transition
from embedded_backend.app import create_app
from embedded_backend.config import Settings, load_settings
from embedded_backend.server import ServerRunner

CRASH_PATH = "/bench/crash"
ADMIN_TOKEN = "bench-tray-admin-token-" + "a" * 32
SECRET_KEY = "bench-tray-secret-key-" + "b" * 32


class Transitions:
    """Every transition with the ``time.perf_counter()`` at which it was emitted."""

    def __init__(self) -> None:
        self.items: list[tuple[float, Transition]] = []
        self._cond = threading.Condition()

    def __call__(self, transition: Transition) -> None:
        now = time.perf_counter()
        with self._cond:
            self.items.append((now, transition))
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self.items)

    def wait(self, state: State, start: int, timeout_s: float = 60) -> tuple[int, float]:
        """(index, time) of the first transition to ``state`` at or after ``start``."""

        def found() -> int | None:
            return next(
                (i for i in range(start, len(self.items)) if self.items[i][1].new is state),
                None,
            )

        with self._cond:
            if not self._cond.wait_for(lambda: found() is not None, timeout_s):
                raise RuntimeError(
                    f"no transition to {state} within {timeout_s:.0f} s; saw "
                    f"{[t.new.value for _, t in self.items[start:]]}"
                )
            index = found()
            assert index is not None
            return index, self.items[index][0]

    def states(self, start: int, end: int) -> list[State]:
        with self._cond:
            return [t.new for _, t in self.items[start:end]]


def bench_settings(home: Path, **overrides: object) -> Settings:
    """The backend's defaults, on port 0, with fixed secrets, logging to its home only."""
    return load_settings(
        home=home,
        port=0,
        admin_token=ADMIN_TOKEN,
        secret_key=SECRET_KEY,
        log_console=False,
        **overrides,
    )


def crashable_app(crashed_at: list[float]) -> Callable[[Settings], FastAPI]:
    def factory(settings: Settings) -> FastAPI:
        app = create_app(settings)

        @app.post(CRASH_PATH)
        async def crash() -> dict[str, str]:
            loop = asyncio.get_running_loop()

            def die() -> None:
                crashed_at.append(time.perf_counter())
                loop.stop()  # asyncio.run raises: the server thread ends with an exception

            loop.call_later(0.05, die)
            return {"crashing": "yes"}

        return app

    return factory


class Recovery:
    def __init__(self, home: Path) -> None:
        self.crashed_at: list[float] = []
        settings = bench_settings(home)
        self.runner = ServerRunner(settings, crashable_app(self.crashed_at))
        self.monitor = Monitor.embedded(settings, runner=self.runner)
        self.seen = Transitions()
        self.monitor.supervisor.state_changed.connect(self.seen)

    def start(self) -> None:
        self.monitor.start()
        self.seen.wait(State.RUNNING, 0, timeout_s=120)

    def crash_once(self) -> tuple[float, float]:
        """Crash the server thread; (crash → failed, crash → running) in seconds."""
        start, crashes = len(self.seen), len(self.crashed_at)
        before = self.runner.app
        httpx.post(self.runner.url + CRASH_PATH, timeout=10).raise_for_status()
        failed, failed_at = self.seen.wait(State.FAILED, start)
        back, back_at = self.seen.wait(State.RUNNING, failed)
        states = self.seen.states(failed, back + 1)
        expected = [State.FAILED, State.BACKOFF, State.STARTING, State.RUNNING]
        if states != expected:
            raise RuntimeError(f"unexpected transitions after a crash: {states}")
        if self.runner.app is before:
            raise RuntimeError("the backend came back without a fresh app")
        crashed = self.crashed_at[crashes]
        return failed_at - crashed, back_at - crashed

    def restart_once(self) -> float:
        """``Supervisor.restart()`` (the tray's Restart) → running, in seconds."""
        start = len(self.seen)
        asked = time.perf_counter()
        self.monitor.supervisor.restart()
        stopping, _ = self.seen.wait(State.STOPPING, start)
        _, back_at = self.seen.wait(State.RUNNING, stopping)
        return back_at - asked

    @property
    def failures(self) -> int:
        return self.monitor.supervisor.failures

    def close(self) -> None:
        self.monitor.shutdown(timeout_s=30)
