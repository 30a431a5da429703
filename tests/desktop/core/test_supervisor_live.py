"""The supervisor with the real ServerRunner, a real SQLite backend in the temp VIGIA_HOME
and the real health poller (Monitor.embedded): the backend's thread is killed, hangs,
fails to start, is restarted and stopped; every wait is on an event, with a timeout."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from desktop.core.config import DesktopConfig
from desktop.core.history import HISTORY_FILE
from desktop.core.monitor import Monitor
from desktop.core.restart_policy import RestartPolicy
from desktop.core.supervisor import State, Transition
from embedded_backend.app import create_app
from embedded_backend.config import Settings
from embedded_backend.server import ServerRunner
from tests.helpers.live import ADMIN_TOKEN

S = State
FAST = DesktopConfig(poll_interval_s=0.2, poll_timeout_s=1.0, stop_timeout_s=2)


class Transitions:
    """Collects transitions from the supervisor's thread; waits for one."""

    def __init__(self) -> None:
        self.items: list[Transition] = []
        self._cond = threading.Condition()

    def __call__(self, transition: Transition) -> None:
        with self._cond:
            self.items.append(transition)
            self._cond.notify_all()

    def wait(self, state: State, start: int = 0, timeout_s: float = 60) -> int:
        """Index of the first transition to ``state`` at or after ``start``."""

        def found() -> int | None:
            return next(
                (i for i in range(start, len(self.items)) if self.items[i].new is state), None
            )

        with self._cond:
            assert self._cond.wait_for(lambda: found() is not None, timeout_s), (
                f"no transition to {state} within {timeout_s} s; saw {self.states}"
            )
            index = found()
            assert index is not None
            return index

    @property
    def states(self) -> list[State]:
        with self._cond:
            return [t.new for t in self.items]


@pytest.fixture
def monitors() -> Iterator[list[Monitor]]:
    made: list[Monitor] = []
    yield made
    for monitor in made:
        monitor.shutdown(timeout_s=30)


@pytest.fixture
def start_monitor(
    make_settings: Callable[..., Settings], monitors: list[Monitor]
) -> Callable[..., tuple[Monitor, ServerRunner, Transitions]]:
    def start(
        factory: Callable[[Settings], FastAPI] | None = None,
        config: DesktopConfig = FAST,
        policy: RestartPolicy | None = None,
        **overrides: object,
    ) -> tuple[Monitor, ServerRunner, Transitions]:
        settings = make_settings(**overrides)
        runner = ServerRunner(settings, factory)
        monitor = Monitor.embedded(settings, config, policy=policy, runner=runner)
        monitors.append(monitor)
        seen = Transitions()
        monitor.supervisor.state_changed.connect(seen)
        monitor.start()
        return monitor, runner, seen

    return start


def _crashable_app(settings: Settings) -> FastAPI:
    app = create_app(settings)

    @app.post("/test/crash")
    async def crash() -> dict[str, str]:
        # Stops uvicorn's event loop under it: asyncio.run raises, the thread ends.
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, loop.stop)
        return {"crashing": "yes"}

    return app


# A crash leaves the event loop's handles unclosed: uvloop warns about them as it closes the
# loop, which is what a crash does, not something to fail this test on.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_a_killed_backend_thread_is_seen_at_once_and_restarted_fresh(
    start_monitor: Callable[..., tuple[Monitor, ServerRunner, Transitions]],
) -> None:
    # Polls every 60 s: the death must be seen through the thread, not a poll.
    config = FAST.replace(poll_interval_s=60)
    monitor, runner, seen = start_monitor(_crashable_app, config)
    seen.wait(S.RUNNING)
    first_app, port = runner.app, runner.port
    httpx.post(f"{runner.url}/test/crash", timeout=10)
    failed = seen.wait(S.FAILED)
    assert "the server thread crashed (RuntimeError)" in seen.items[failed].reason
    back = seen.wait(S.RUNNING, failed)  # the poll at once when it listens again
    assert seen.states[failed : back + 1] == [S.FAILED, S.BACKOFF, S.STARTING, S.RUNNING]
    assert runner.app is not first_app and runner.port == port
    assert httpx.get(f"{runner.url}/readyz", timeout=10).status_code == 200
    assert monitor.supervisor.failures == 1


def test_restart_from_the_tray_and_from_the_admin_api(
    start_monitor: Callable[..., tuple[Monitor, ServerRunner, Transitions]],
) -> None:
    monitor, runner, seen = start_monitor()
    seen.wait(S.RUNNING)
    first_app = runner.app
    monitor.supervisor.restart()
    stopping = seen.wait(S.STOPPING)
    seen.wait(S.RUNNING, stopping)
    second_app = runner.app
    assert second_app is not first_app
    r = httpx.post(
        f"{runner.url}/api/v1/admin/restart",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=10,
    )
    assert r.status_code == 202
    stopping = seen.wait(S.STOPPING, stopping + 1)
    assert "through the admin API" in seen.items[stopping].reason
    seen.wait(S.RUNNING, stopping)
    assert runner.app is not second_app and monitor.supervisor.failures == 0
    assert S.FAILED not in seen.states


def _hanging_app(settings: Settings) -> FastAPI:
    app = create_app(settings)

    @app.post("/test/hang")
    async def hang() -> dict[str, str]:
        time.sleep(3)  # blocks the event loop: nothing answers, the thread lives
        return {}

    return app


def _post_quietly(url: str) -> None:
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(url, timeout=10)


def test_a_hung_backend_is_seen_through_missed_polls_and_restarted(
    start_monitor: Callable[..., tuple[Monitor, ServerRunner, Transitions]],
) -> None:
    config = FAST.replace(poll_timeout_s=0.3)
    _, runner, seen = start_monitor(_hanging_app, config, graceful_shutdown_s=1)
    seen.wait(S.RUNNING)
    first_app = runner.app
    with ThreadPoolExecutor(1) as pool:
        pool.submit(_post_quietly, f"{runner.url}/test/hang")
        failed = seen.wait(S.FAILED)
    assert "stopped answering (3 health checks in a row" in seen.items[failed].reason
    seen.wait(S.RUNNING, failed)
    assert runner.app is not first_app


def _failing_app(settings: Settings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        raise RuntimeError("cannot open the ERP's license file")
        yield  # pragma: no cover

    app = create_app(settings)
    app.router.lifespan_context = lifespan
    return app


def test_a_backend_that_cannot_start_ends_fatal(
    start_monitor: Callable[..., tuple[Monitor, ServerRunner, Transitions]],
) -> None:
    policy = RestartPolicy(first_delay_s=0.05, fatal_after=3, slow_retry_s=600)
    monitor, runner, seen = start_monitor(_failing_app, policy=policy)
    fatal = seen.wait(S.FATAL)
    assert seen.states[: fatal + 1] == [
        S.STARTING, S.FAILED, S.BACKOFF,
        S.STARTING, S.FAILED, S.BACKOFF,
        S.STARTING, S.FAILED, S.FATAL,
    ]  # fmt: skip
    assert "uvicorn exit code 3" in seen.items[fatal - 1].reason
    assert not runner.alive
    assert monitor.shutdown() is True


def _slow_app(settings: Settings) -> FastAPI:
    app = create_app(settings)
    app.state.entered = threading.Event()

    @app.get("/test/slow")
    async def slow() -> dict[str, str]:
        app.state.entered.set()
        await asyncio.sleep(1.0)
        return {"done": "yes"}

    return app


def test_quit_is_a_graceful_stop_that_leaves_nothing_behind(
    start_monitor: Callable[..., tuple[Monitor, ServerRunner, Transitions]], home: Path
) -> None:
    monitor, runner, seen = start_monitor(_slow_app)
    seen.wait(S.RUNNING)
    assert runner.app is not None
    entered: threading.Event = runner.app.state.entered
    with ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(httpx.get, f"{runner.url}/test/slow", timeout=10)
        assert entered.wait(10)
        assert monitor.shutdown() is True
        assert in_flight.result(10).json() == {"done": "yes"}  # drained, not cut
    assert seen.states[-2:] == [S.STOPPING, S.STOPPED]
    assert not runner.alive
    assert not runner.settings.paths.run_file.exists()
    assert not [t for t in threading.enumerate() if t.name.startswith("vigia-")]
    # The database was closed cleanly: no write-ahead log left to replay.
    assert not (home / "vigia.db-wal").exists()
    with contextlib.closing(sqlite3.connect(home / "vigia.db")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # The health history was written at quit.
    with contextlib.closing(sqlite3.connect(home / HISTORY_FILE)) as db:
        assert db.execute("SELECT count(*) FROM aggregate").fetchone()[0] > 0
