"""A Monitor made of the core's real parts on a fake clock, for the tray's UI tests.

The supervisor drives a :class:`FakeRunner`, the poller asks a small in-memory backend
(``httpx.MockTransport``) whose health the test changes, and everything runs when the
test calls ``core.step()`` / ``core.advance(s)`` on the manual scheduler: the core's
signals fire on the test's (GUI) thread, deterministically. The admin client talks to the
same in-memory backend (routers enable/disable, alerts list/resolve, restart).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from desktop.core.admin_client import AdminClient
from desktop.core.alerts import AlertCenter
from desktop.core.config import DesktopConfig
from desktop.core.history import HistoryStore
from desktop.core.monitor import Monitor
from desktop.core.poller import HealthPoller
from desktop.core.supervisor import Supervisor
from desktop.ui.context import UiContext
from tests.desktop.fakes import FakeClock, FakeRunner, ManualScheduler

TOKEN = "ui-test-token-0123456789abcdef"


@dataclass
class FakeBackend:
    """What the in-memory backend answers; the test edits it."""

    runner: FakeRunner
    database: str = "pass"  # pass | fail
    db_ms: float = 2.0
    routers: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            name: {"prefix": f"/api/v1/{name}", "state": "loaded"}
            for name in ("admin", "customers", "orders", "products")
        }
    )
    server_alerts: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def health(self) -> dict[str, Any]:
        routers = []
        for name, router in self.routers.items():
            entry: dict[str, Any] = {
                "componentId": name,
                "status": "pass",
                "prefix": router["prefix"],
            }
            if router["state"] == "disabled":
                entry.update(status="warn", output="disabled by an administrator")
            elif router["state"] == "failed":
                entry.update(
                    status="warn",
                    output="ModuleNotFoundError: No module named 'x'",
                    errorType="ModuleNotFoundError",
                )
            routers.append(entry)
        database: dict[str, Any] = {"status": self.database, "observedUnit": "ms"}
        if self.database == "pass":
            database["observedValue"] = self.db_ms
        else:
            database["output"] = "circuit open: OperationalError: connection refused"
        failing = self.database == "fail"
        return {
            "status": "fail" if failing else "pass",
            "output": "database unreachable" if failing else None,
            "checks": {
                "database:responseTime": [database],
                "routers:loaded": routers,
                "uptime": [{"status": "pass", "observedValue": 10}],
            },
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if not self.runner.alive:
            raise httpx.ConnectError("refused", request=request)
        path = request.url.path
        self.calls.append((request.method, path))
        if path == "/readyz":
            body = self.health()
            return httpx.Response(503 if body["status"] == "fail" else 200, json=body)
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json={"detail": "admin token needed"})
        if path == "/api/v1/monitoring/alerts":
            return httpx.Response(200, json={"active": self.server_alerts, "recent": []})
        if path.startswith("/api/v1/monitoring/alerts/") and path.endswith("/resolve"):
            alert_id = path.split("/")[-2]
            for alert in self.server_alerts:
                if alert["id"] == alert_id:
                    self.server_alerts.remove(alert)
                    return httpx.Response(200, json=alert)
            return httpx.Response(404, json={"detail": "there is no alert with this id"})
        if path.startswith("/api/v1/admin/routers/"):
            name, action = path.split("/")[-2:]
            if name == "admin" and action == "disable":
                return httpx.Response(409, json={"detail": "the admin router cannot be disabled"})
            self.routers[name]["state"] = "loaded" if action == "enable" else "disabled"
            return httpx.Response(200, json={"name": name, "status": self.routers[name]["state"]})
        if path == "/api/v1/admin/backups":
            if request.method == "POST":
                return httpx.Response(202, json=self.job("queued"))
            return httpx.Response(200, json={"items": [], "total": 0, "folder": "/backups"})
        if path == "/api/v1/admin/backups/jobs/job-1":
            return httpx.Response(200, json=self.job("running", progress=0.5))
        return httpx.Response(404, json={"detail": f"no route {path}"})

    @staticmethod
    def job(state: str, progress: float = 0.0) -> dict[str, Any]:
        """A backup job as the admin API describes it (embedded_backend/backup/jobs.py)."""
        return {
            "id": "job-1",
            "kind": "create",
            "backup_id": None,
            "state": state,
            "progress": progress,
            "step": "copying the database",
            "steps": [],
            "actor": "admin-token",
            "created_at": "2027-01-15T08:00:00Z",
            "started_at": None,
            "finished_at": None,
            "result": None,
            "error": None,
        }


@dataclass
class FakeCore:
    clock: FakeClock
    sched: ManualScheduler
    runner: FakeRunner
    backend: FakeBackend
    monitor: Monitor
    ctx: UiContext

    def step(self) -> None:
        """Run what is due now on the core's (manual) scheduler."""
        self.sched.run()

    def advance(self, seconds: float) -> None:
        self.sched.advance(seconds)


@contextmanager
def fake_core(
    home: Path, *, token: str | None = TOKEN, config: DesktopConfig | None = None
) -> Iterator[FakeCore]:
    clock = FakeClock(wall=1_800_000_000.0)
    sched = ManualScheduler(clock)
    runner = FakeRunner()
    backend = FakeBackend(runner)
    transport = httpx.MockTransport(backend)
    config = config or DesktopConfig()
    supervisor = Supervisor(runner, scheduler=sched, config=config)
    poller = HealthPoller(
        lambda: supervisor.url,
        config,
        scheduler=sched,
        transport=transport,
        token=lambda: token,
    )
    alerts = AlertCenter(config, clock=clock)
    history = HistoryStore.in_home(home, clock)
    monitor = Monitor(supervisor, poller, alerts, history)
    client = AdminClient(lambda: supervisor.url, lambda: token, transport=transport)
    ctx = UiContext(monitor, client, None, home, remote=False, translate=lambda s: s)
    try:
        yield FakeCore(clock, sched, runner, backend, monitor, ctx)
    finally:
        monitor.shutdown(5)
        client.close()
