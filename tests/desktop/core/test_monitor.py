"""Monitor: the parts wired together. With fakes on one fake clock, then watching a real
backend as a remote monitor, then the promise that none of it needs Qt."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from desktop.core.alerts import AlertCenter, Notice
from desktop.core.config import DesktopConfig
from desktop.core.errors import ConfigError
from desktop.core.history import HistoryStore, Resolution
from desktop.core.monitor import Monitor
from desktop.core.poller import HealthPoller
from desktop.core.supervisor import State, Supervisor, Transition
from tests.desktop.fakes import FakeClock, FakeRunner, ManualScheduler
from tests.helpers.live import ADMIN_TOKEN, LiveServer


def doc(db: str = "pass") -> dict[str, Any]:
    return {
        "status": "pass" if db == "pass" else "fail",
        "checks": {
            "database:responseTime": [
                {"status": db, "observedValue": 2.0 if db == "pass" else None}
            ],
            "uptime": [{"status": "pass", "observedValue": 50}],
        },
    }


def test_samples_reach_the_supervisor_the_alerts_and_the_history(home: Path) -> None:
    clock = FakeClock()
    sched = ManualScheduler(clock)
    runner = FakeRunner()
    config = DesktopConfig()
    database = {"state": "pass"}
    polled: list[str] = []

    def backend(request: httpx.Request) -> httpx.Response:
        polled.append(str(request.url))
        if not runner.alive:
            raise httpx.ConnectError("refused", request=request)
        body = doc(database["state"])
        return httpx.Response(503 if body["status"] == "fail" else 200, json=body)

    supervisor = Supervisor(runner, scheduler=sched, config=config)
    poller = HealthPoller(
        lambda: supervisor.url, config, scheduler=sched, transport=httpx.MockTransport(backend)
    )
    alerts = AlertCenter(config, clock=clock)
    history = HistoryStore.in_home(home, clock)
    monitor = Monitor(supervisor, poller, alerts, history)
    toasts: list[Notice] = []
    alerts.toast_requested.connect(toasts.append)

    monitor.start()
    sched.run()
    assert supervisor.state is State.RUNNING  # polled at once when it listened
    assert polled == ["http://127.0.0.1:8002/readyz"]

    database["state"] = "fail"
    sched.advance(8)
    assert supervisor.state is State.DEGRADED
    assert [(t.kind, t.title) for t in toasts] == [("raised", "Database not answering")]
    assert [r.title for r in history.alerts()] == ["Database not answering"]

    runner.crash()
    sched.run()
    # Retried at once, polled as soon as it listened: up again, its database still failing.
    assert runner.starts == 2 and supervisor.state is State.DEGRADED

    assert monitor.shutdown() is True
    assert monitor.shutdown() is True  # a second quit (logoff after Quit) is harmless
    assert not runner.alive and supervisor.state is State.STOPPED
    again = HistoryStore.in_home(home, clock)
    assert again.series("up", Resolution.MINUTE, since=0)  # written at quit
    [record] = again.alerts()
    assert record.resolved_by == "backend stopped"
    again.close()


def test_a_bad_remote_address_is_a_config_error(home: Path) -> None:
    with pytest.raises(ConfigError, match="is not a backend address"):
        Monitor.remote("erp-server", ADMIN_TOKEN, home)


class States:
    def __init__(self) -> None:
        self.items: list[State] = []
        self.cond = threading.Condition()

    def __call__(self, transition: Transition) -> None:
        with self.cond:
            self.items.append(transition.new)
            self.cond.notify_all()

    def wait(self, state: State, start: int = 0, timeout_s: float = 60) -> int:
        with self.cond:
            assert self.cond.wait_for(lambda: state in self.items[start:], timeout_s), self.items
            return self.items.index(state, start)


@pytest.fixture
def remote_monitor(sqlite_server: LiveServer, home: Path) -> Iterator[Monitor]:
    config = DesktopConfig(poll_interval_s=0.1, poll_timeout_s=1, backend_alerts_interval_s=0.5)
    monitor = Monitor.remote(sqlite_server.url, ADMIN_TOKEN, home / "desk", config)
    yield monitor
    monitor.shutdown(timeout_s=30)


def test_a_remote_monitor_watches_and_restarts_a_backend_it_does_not_own(
    remote_monitor: Monitor, sqlite_server: LiveServer
) -> None:
    states = States()
    remote_monitor.supervisor.state_changed.connect(states)
    fetched = threading.Event()
    remote_monitor.poller.alerts_fetched.connect(lambda active: fetched.set())
    remote_monitor.start()
    running = states.wait(State.RUNNING)
    assert fetched.wait(30)  # the admin token opens /api/v1/monitoring/alerts
    first = sqlite_server.runner.state

    remote_monitor.supervisor.restart()
    starting = states.wait(State.STARTING, running)
    states.wait(State.RUNNING, starting)
    assert sqlite_server.runner.state is not first  # it restarted itself, on request
    assert State.FAILED not in states.items

    assert remote_monitor.shutdown() is True
    # Quitting a monitor leaves the backend it watched running.
    assert httpx.get(f"{sqlite_server.url}/livez", timeout=10).status_code == 200


def test_the_core_imports_no_qt() -> None:
    code = (
        "import sys, json, desktop.core.monitor, desktop.core.alerts, desktop.core.history;"
        "print(json.dumps(sorted(m for m in sys.modules if 'Qt' in m or 'PySide' in m)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout) == []
