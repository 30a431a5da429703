"""/api/v1/monitoring/alerts on a live server with a fast sampler and low thresholds:
real 5xx raise an error-rate alert, the resolve call works and is audited, the disk and
backup-age rules fire on this machine, and only administrators may call."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from embedded_backend.config import Settings
from tests.embedded_backend.api.support import assert_problem, make_user
from tests.embedded_backend.backup.factory import aged_backup
from tests.helpers.live import LiveServer, live_server

URL = "/api/v1/monitoring/alerts"
FAULTY = "faulty=tests.embedded_backend.api.faulty_router:router"
QUIET = {  # machine rules off unless a test turns them on
    "alert_disk_free_percent": 0,
    "alert_memory_percent": 0,
    "alert_backup_age_hours": 0,
    "alert_pool_saturation": 0,
}


def _wait_for(
    c: httpx.Client, found: Callable[[dict[str, Any]], bool], timeout: float = 10
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = c.get(URL)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if found(body):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def _active(body: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [a for a in body["active"] if a["rule"] == rule]


@pytest.fixture
def faulty_server(make_settings: Callable[..., Settings]) -> Iterator[LiveServer]:
    settings = make_settings(
        routers=FAULTY,
        metrics_sample_interval_s=0.05,
        alert_min_requests=5,
        alert_error_rate_warn=0.2,
        alert_error_rate_error=0.5,
        alert_error_rate_critical=0.9,
        **QUIET,
    )
    with live_server(settings) as live:
        yield live


def test_server_errors_raise_an_alert_that_an_admin_resolves(faulty_server: LiveServer) -> None:
    with faulty_server.client() as c:
        assert c.get(URL).json() == {"active": [], "recent": []}
        for _ in range(6):
            assert c.get("/api/v1/faulty/runtime").status_code == 500
        body = _wait_for(c, lambda b: bool(_active(b, "error_rate")))
        [alert] = _active(body, "error_rate")
        assert alert["subject"] == "http" and alert["state"] == "active"
        assert alert["severity"] in ("error", "critical")
        assert "server error" in alert["message"] and "s3cr3t" not in alert["message"]
        time.sleep(0.2)  # several more ticks: still the same one alert
        assert [a["id"] for a in _active(c.get(URL).json(), "error_rate")] == [alert["id"]]

        r = c.post(f"{URL}/{alert['id']}/resolve")
        assert r.status_code == 200, r.text
        resolved = r.json()
        assert resolved["id"] == alert["id"] and resolved["state"] == "resolved"
        assert resolved["resolved_by"] == "admin-token" and resolved["resolved_at"]

        time.sleep(0.3)  # the errors are still in the window: acknowledged, not raised again
        body = c.get(URL).json()
        assert _active(body, "error_rate") == []
        assert [a["id"] for a in body["recent"]] == [alert["id"]]

        assert_problem(c.post(f"{URL}/{alert['id']}/resolve"), 409)
        assert_problem(c.post(f"{URL}/no-such-alert/resolve"), 404)

        audit = c.get("/api/v1/admin/audit", params={"action": "alert.resolve"}).json()
        assert [(i["actor"], i["target"]) for i in audit["items"]] == [("admin-token", alert["id"])]
        assert audit["items"][0]["detail"]["rule"] == "error_rate"


def test_only_administrators(faulty_server: LiveServer) -> None:
    with faulty_server.client(token=None) as anonymous:
        assert_problem(anonymous.get(URL), 401)
        assert_problem(anonymous.post(f"{URL}/x/resolve"), 401)
    with faulty_server.client() as admin:
        user = make_user(admin, role="staff")
    with faulty_server.client(token=faulty_server.login(user["username"], "s3nha-forte-123")) as s:
        assert_problem(s.get(URL), 403)
        assert_problem(s.post(f"{URL}/x/resolve"), 403)


def test_disk_and_backup_age_rules_fire_on_this_machine(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(
        metrics_sample_interval_s=0.05,
        **{**QUIET, "alert_disk_free_percent": 100, "alert_backup_age_hours": 1},
    )
    backups = settings.paths.backups
    backups.mkdir(parents=True, exist_ok=True)
    aged_backup(backups, hours=10)
    with live_server(settings) as live, live.client() as c:
        body = _wait_for(c, lambda b: bool(_active(b, "disk_free") and _active(b, "backup_age")))
        [disk] = _active(body, "disk_free")
        assert disk["subject"] == "disk" and 0 <= disk["value"] < 100
        [backup] = _active(body, "backup_age")
        assert backup["severity"] == "error" and 9.9 <= backup["value"] <= 10.5
        assert "Back up now" in backup["message"]

        aged_backup(backups, hours=0)  # a fresh backup: the alert resolves by itself
        body = _wait_for(c, lambda b: not _active(b, "backup_age"))
        assert [a["resolved_by"] for a in body["recent"] if a["rule"] == "backup_age"] == ["auto"]
