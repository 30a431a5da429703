"""ServerRunner in this process: start, stop, restart, port 0, failed starts, draining."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi import FastAPI

from embedded_backend.app import create_app
from embedded_backend.config import Settings
from embedded_backend.errors import PortInUseError, ServerStartError
from embedded_backend.server import ServerRunner


@pytest.fixture
def runners() -> Iterator[list[ServerRunner]]:
    """Runners made by a test; every one is stopped at the end, whatever happened."""
    made: list[ServerRunner] = []
    yield made
    for runner in made:
        runner.stop(timeout_s=1)


@pytest.fixture
def make_runner(
    make_settings: Callable[..., Settings], runners: list[ServerRunner]
) -> Callable[..., ServerRunner]:
    def make(
        app_factory: Callable[[Settings], FastAPI] | None = None, **overrides: object
    ) -> ServerRunner:
        runner = ServerRunner(make_settings(**overrides), app_factory)
        runners.append(runner)
        return runner

    return make


def get(runner: ServerRunner, path: str, **kwargs: object) -> httpx.Response:
    return httpx.get(f"{runner.url}{path}", timeout=10, **kwargs)  # type: ignore[arg-type]


def test_start_publishes_the_real_port_and_stop_cleans_up(
    make_runner: Callable[..., ServerRunner],
) -> None:
    runner = make_runner()
    port = runner.start()
    assert port != 0 and runner.port == port and runner.alive
    assert runner.url == f"http://127.0.0.1:{port}"
    published = json.loads(runner.settings.paths.run_file.read_text(encoding="utf-8"))
    assert published["pid"] == os.getpid() and published["port"] == port
    assert published["url"] == runner.url
    assert get(runner, "/readyz").status_code == 200
    state = runner.state
    assert state is not None and state.startup_complete

    assert runner.stop() is True
    assert not runner.alive and runner.error is None
    assert not runner.settings.paths.run_file.exists()
    assert state.stopping
    with pytest.raises(httpx.ConnectError):
        get(runner, "/livez")
    assert runner.stop() is True  # stopping twice is harmless


def test_a_second_start_raises(make_runner: Callable[..., ServerRunner]) -> None:
    runner = make_runner()
    runner.start()
    with pytest.raises(ServerStartError, match="already running"):
        runner.start()
    assert get(runner, "/livez").status_code == 200


def test_restart_gives_a_fresh_app_on_the_same_port(
    make_runner: Callable[..., ServerRunner], caplog: pytest.LogCaptureFixture
) -> None:
    runner = make_runner()
    port = runner.start()
    first_app, first_state = runner.app, runner.state
    assert first_state is not None
    with httpx.Client(
        base_url=runner.url,
        timeout=10,
        headers={"Authorization": f"Bearer {first_state.secrets.admin_token}"},
    ) as c:
        assert c.post("/api/v1/admin/routers/orders/disable").status_code == 200
        assert c.get("/api/v1/orders").status_code == 503
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            assert runner.restart("test") == port
    assert runner.app is not first_app and runner.state is not first_state
    assert runner.state is not None and runner.state.db is not first_state.db
    assert first_state.stopping
    with httpx.Client(
        base_url=runner.url,
        timeout=10,
        headers={"Authorization": f"Bearer {first_state.secrets.admin_token}"},
    ) as c:
        assert c.get("/readyz").status_code == 200
        assert c.get("/api/v1/orders").status_code == 200  # runtime state did not carry over
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    assert not any("duplicat" in r.getMessage().lower() for r in caplog.records)


def test_configure_gives_the_next_start_new_settings(
    make_runner: Callable[..., ServerRunner], make_settings: Callable[..., Settings]
) -> None:
    runner = make_runner()
    port = runner.start()
    with pytest.raises(ServerStartError, match="stop it before"):
        runner.configure(make_settings(slow_query_s=7.5))
    runner.stop()
    # Same host and port (0): the same free port again, with the new values.
    runner.configure(make_settings(slow_query_s=7.5))
    assert runner.start() == port
    assert runner.state is not None and runner.state.settings.slow_query_s == 7.5
    runner.stop()
    # Another port: that one is bound.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    runner.configure(make_settings(port=free))
    assert runner.start() == free and runner.url == f"http://127.0.0.1:{free}"
    assert get(runner, "/readyz").status_code == 200


def test_restart_requested_through_the_admin_api(make_runner: Callable[..., ServerRunner]) -> None:
    runner = make_runner()
    runner.start()
    first = runner.state
    assert first is not None
    headers = {"Authorization": f"Bearer {first.secrets.admin_token}"}
    r = httpx.post(f"{runner.url}/api/v1/admin/restart", headers=headers, timeout=10)
    assert r.status_code == 202 and r.json() == {"status": "restarting"}
    deadline = time.monotonic() + 20
    while runner.state is first or not runner.alive:
        assert time.monotonic() < deadline, "the backend did not restart"
        time.sleep(0.05)
    deadline = time.monotonic() + 20
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if get(runner, "/readyz").status_code == 200:
                break
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_port_taken_raises_naming_the_holder(make_runner: Callable[..., ServerRunner]) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        runner = make_runner(port=port, port_retry_s=0.3)
        started = time.monotonic()
        with pytest.raises(PortInUseError) as exc_info:
            runner.start()
        assert time.monotonic() - started >= 0.1  # it did retry
    assert exc_info.value.port == port
    assert exc_info.value.holder is not None and f"pid {os.getpid()}" in exc_info.value.holder
    assert not runner.alive and runner.app is None


def _failing_lifespan_app(settings: Settings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        raise RuntimeError("cannot open the ERP's license file")
        yield  # pragma: no cover

    app = create_app(settings)
    app.router.lifespan_context = lifespan
    return app


def test_lifespan_failure_is_a_server_start_error(
    make_runner: Callable[..., ServerRunner], caplog: pytest.LogCaptureFixture
) -> None:
    runner = make_runner(_failing_lifespan_app)
    with caplog.at_level(logging.ERROR), pytest.raises(ServerStartError) as exc_info:
        runner.start(deadline_s=20)
    assert "uvicorn exit code 3" in str(exc_info.value)
    assert runner.error == str(exc_info.value)
    assert not runner.alive
    assert any(
        "RuntimeError: cannot open the ERP's license file" in r.getMessage() for r in caplog.records
    ), [r.getMessage() for r in caplog.records]
    # The port was released: a good app starts on it right away.
    good = make_runner(port=runner.port)
    assert good.start() == runner.port


def test_a_factory_that_raises_leaves_no_socket_behind(
    make_runner: Callable[..., ServerRunner],
) -> None:
    def factory(settings: Settings) -> FastAPI:
        raise RuntimeError("bad configuration")

    runner = make_runner(factory)
    with pytest.raises(RuntimeError):
        runner.start()
    assert not runner.alive
    port = runner.port
    assert port
    with socket.socket() as probe:  # the port is free again
        probe.bind(("127.0.0.1", port))


def test_on_exit_reports_why_the_thread_ended(make_runner: Callable[..., ServerRunner]) -> None:
    runner = make_runner()
    reasons: list[str | None] = []
    runner.on_exit = reasons.append
    runner.start()
    runner.stop()
    assert reasons == [None]


def _slow_app(settings: Settings) -> FastAPI:
    app = create_app(settings)
    app.state.entered = threading.Event()

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        app.state.entered.set()
        await asyncio.sleep(1.0)
        return {"done": "yes"}

    return app


def test_stop_drains_a_request_in_flight(make_runner: Callable[..., ServerRunner]) -> None:
    runner = make_runner(_slow_app)
    runner.start()
    assert runner.app is not None
    entered: threading.Event = runner.app.state.entered
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(get, runner, "/slow")
        assert entered.wait(10)
        started = time.monotonic()
        assert runner.stop() is True
        stopped_after = time.monotonic() - started
        r = future.result(10)
    assert r.status_code == 200 and r.json() == {"done": "yes"}
    assert 0.5 <= stopped_after < 8


def test_stop_forces_after_the_grace_period(make_runner: Callable[..., ServerRunner]) -> None:
    def app_factory(settings: Settings) -> FastAPI:
        app = create_app(settings)
        app.state.entered = threading.Event()

        @app.get("/forever")
        async def forever() -> dict[str, str]:
            app.state.entered.set()
            await asyncio.sleep(60)
            return {}  # pragma: no cover

        return app

    runner = make_runner(app_factory, graceful_shutdown_s=1)
    runner.start()
    assert runner.app is not None
    entered: threading.Event = runner.app.state.entered
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(get, runner, "/forever")
        assert entered.wait(10)
        started = time.monotonic()
        assert runner.stop() is True
        assert time.monotonic() - started < 8
        try:
            r = future.result(10)
        except httpx.HTTPError:
            pass  # the connection was cut
        else:
            assert r.status_code == 500 and "Traceback" not in r.text, r.text


def _blocking_app(settings: Settings) -> FastAPI:
    app = create_app(settings)

    @app.post("/test/block")
    async def block(s: float = 12.0) -> dict[str, float]:
        time.sleep(s)  # blocks the loop past the stop (0 s grace + 5 s, forced + 5 s): stuck
        return {"blocked": s}

    return app


def test_a_stuck_thread_is_given_up_and_new_settings_wait_for_its_end(
    make_runner: Callable[..., ServerRunner], make_settings: Callable[..., Settings]
) -> None:
    runner = make_runner(_blocking_app)
    runner.start()
    exits: list[str | None] = []
    runner.on_exit = exits.append
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(httpx.post, f"{runner.url}/test/block", timeout=30)
        time.sleep(0.3)  # the request is in the blocked handler
        assert runner.stop(timeout_s=0) is False  # gave up: the thread cannot be ended
        assert not runner.alive
        with pytest.raises(ServerStartError, match="previous run of the backend is stuck"):
            runner.configure(make_settings(port=0))
        assert pending.result().status_code == 200  # it wakes, answers, then shuts down
    deadline = time.monotonic() + 30
    while True:
        try:
            runner.configure(make_settings(port=0))
            break
        except ServerStartError:
            assert time.monotonic() < deadline, "the stuck thread never ended"
            time.sleep(0.1)
    assert exits == []  # the abandoned thread's end is not reported as a crash of a new one
    runner.start()
    assert get(runner, "/readyz").status_code == 200
