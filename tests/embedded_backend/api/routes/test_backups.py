"""/api/v1/admin/backups on a live server: list, create and verify jobs, and restores
(SQLite, PostgreSQL, MariaDB) observed step by step: the job is held at a step through
JobManager.subscribe while the test looks at writes, reads and health, then let go."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from embedded_backend.backup.jobs import Job, JobManager
from embedded_backend.config import Settings
from embedded_backend.state import AppState
from tests.embedded_backend.api.support import assert_problem, make_product, make_user
from tests.embedded_backend.backup.conftest import damage_table
from tests.embedded_backend.backup.restoring import newer_backup
from tests.helpers.live import LiveServer, live_server

URL = "/api/v1/admin/backups"
WAIT_S = 90


class StepHold:
    """Holds a job (in its own thread) when it reaches a step starting with one of
    ``prefixes``, until the test releases that step; also signals when a job ends."""

    def __init__(self, jobs: JobManager, *prefixes: str) -> None:
        self.reached = {p: threading.Event() for p in prefixes}
        self.release = {p: threading.Event() for p in prefixes}
        self.finished: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self.unsubscribe = jobs.subscribe(self)

    def _finished(self, job_id: str) -> threading.Event:
        with self._lock:
            return self.finished.setdefault(job_id, threading.Event())

    def __call__(self, job: Job) -> None:
        if job.finished:
            self._finished(job.id).set()
            return
        for prefix, reached in self.reached.items():
            if job.step.startswith(prefix) and not reached.is_set():
                reached.set()
                assert self.release[prefix].wait(WAIT_S)

    def wait(self, prefix: str) -> None:
        assert self.reached[prefix].wait(WAIT_S), f"the job never reached '{prefix}'"

    def wait_finished(self, c: httpx.Client, job_id: str) -> dict[str, Any]:
        assert self._finished(job_id).wait(WAIT_S), f"job {job_id} did not finish"
        r = c.get(f"{URL}/jobs/{job_id}")
        assert r.status_code == 200, r.text
        job: dict[str, Any] = r.json()
        assert job["state"] in ("done", "failed")
        return job

    def release_all(self) -> None:
        for event in self.release.values():
            event.set()
        self.unsubscribe()


def _state(live: LiveServer) -> AppState:
    state = live.runner.state
    assert state is not None
    return state


@pytest.fixture
def hold(request: pytest.FixtureRequest) -> Iterator[Callable[..., StepHold]]:
    holds: list[StepHold] = []

    def make(live: LiveServer, *prefixes: str) -> StepHold:
        h = StepHold(_state(live).backup_jobs, *prefixes)
        holds.append(h)
        return h

    yield make
    for h in holds:
        h.release_all()


@pytest.fixture
def live(make_settings: Callable[..., Settings], database_url: str) -> Iterator[LiveServer]:
    """A live server on each database, with an uncached health document."""
    with live_server(make_settings(database_url=database_url, health_cache_s=0)) as server:
        yield server


@pytest.fixture
def sqlite_live(make_settings: Callable[..., Settings]) -> Iterator[LiveServer]:
    with live_server(make_settings(health_cache_s=0)) as server:
        yield server


def _skus(c: httpx.Client) -> list[str]:
    r = c.get("/api/v1/products", params={"limit": 200})
    assert r.status_code == 200, r.text
    return sorted(item["sku"] for item in r.json()["items"])


def _started(r: httpx.Response, kind: str) -> dict[str, Any]:
    assert r.status_code == 202, r.text
    job: dict[str, Any] = r.json()
    assert job["kind"] == kind and job["state"] in ("queued", "running", "done")
    assert r.headers["location"].endswith(f"{URL}/jobs/{job['id']}")
    return job


def _backup(c: httpx.Client, h: StepHold) -> dict[str, Any]:
    job = h.wait_finished(c, _started(c.post(URL), "create")["id"])
    assert job["state"] == "done", job
    result: dict[str, Any] = job["result"]
    return result


def test_list_create_and_verify(sqlite_live: LiveServer, hold: Callable[..., StepHold]) -> None:
    h = hold(sqlite_live)
    with sqlite_live.client() as c:
        assert c.get(URL).json() == {
            "items": [],
            "total": 0,
            "folder": str(sqlite_live.settings.paths.backups),
        }
        backup = _backup(c, h)
        assert backup["trigger"] == "manual" and backup["verified"] is True
        listed = c.get(URL).json()
        assert listed["total"] == 1 and listed["items"][0] == backup  # as `list --json`

        job = h.wait_finished(c, _started(c.post(f"{URL}/{backup['id']}/verify"), "verify")["id"])
        assert job["state"] == "done" and job["progress"] == 1.0
        assert job["result"]["ok"] is True and job["result"]["id"] == backup["id"]
        assert job["steps"][0]["step"].startswith(f"verifying backup {backup['id']}")
        assert job["actor"] == "admin-token" and job["error"] is None

        jobs = c.get(f"{URL}/jobs").json()["items"]
        assert [j["kind"] for j in jobs] == ["verify", "create"]
        audit = c.get("/api/v1/admin/audit", params={"action": "backup.*"}).json()["items"]
        assert [(a["action"], a["actor"], a["target"]) for a in audit] == [
            ("backup.verify", "admin-token", backup["id"]),
            ("backup.create", "admin-token", backup["id"]),
        ]


def test_restore_on_a_live_server(live: LiveServer, hold: Callable[..., StepHold]) -> None:
    h = hold(live, "making the pre-restore backup", "checking the restored database")
    with live.client() as c:
        kept = make_product(c, sku="IN-THE-BACKUP")
        backup = _backup(c, h)
        after = make_product(c, sku="AFTER-THE-BACKUP")
        assert _skus(c) == ["AFTER-THE-BACKUP", "IN-THE-BACKUP"]
        assert c.get(f"/api/v1/products/{after['id']}").status_code == 200  # now cached

        r = c.post(f"{URL}/{backup['id']}/restore", json={"confirm": backup["id"]})
        job = _started(r, "restore")

        # Maintenance: writes answer 503 with Retry-After, reads work, health says why.
        h.wait("making the pre-restore backup")
        refused = c.post("/api/v1/products", json={"sku": "X", "name": "x", "price": 1, "stock": 1})
        body = assert_problem(refused, 503)
        assert body["title"] == "Maintenance" and body["maintenance"] is True
        assert f"restoring backup {backup['id']}" in body["detail"]
        assert int(refused.headers["retry-after"]) > 0
        assert c.get(f"/api/v1/products/{kept['id']}").status_code == 200
        health = c.get("/health")
        assert health.status_code == 200, health.text
        doc = health.json()
        assert doc["status"] == "warn" and f"restoring backup {backup['id']}" in doc["output"]
        db_check = doc["checks"]["database:responseTime"][0]
        assert db_check["maintenance"]["backup_id"] == backup["id"]
        running = c.get(f"{URL}/jobs/{job['id']}").json()
        assert running["state"] == "running" and 0.5 <= running["progress"] < 0.85
        h.release["making the pre-restore backup"].set()

        # The swap: the database is closed to everyone until the restore has checked it.
        h.wait("checking the restored database")
        readyz = c.get("/readyz")
        assert readyz.status_code == 503 and readyz.json()["status"] == "fail"
        assert "being replaced" in readyz.json()["output"]
        closed = assert_problem(c.get("/api/v1/products"), 503)
        assert closed["title"] == "Maintenance" and "being replaced" in closed["detail"]
        h.release["checking the restored database"].set()

        done = h.wait_finished(c, job["id"])
        assert done["state"] == "done", done
        result = done["result"]
        assert result["backup_id"] == backup["id"] and not result["migrated"]
        assert _skus(c) == ["IN-THE-BACKUP"]  # the backup's data, nothing after it
        assert_problem(c.get(f"/api/v1/products/{after['id']}"), 404)  # not from the cache
        assert c.get("/health").json()["status"] == "pass"
        make_product(c, sku="AFTER-THE-RESTORE")  # writes work again

        items = {b["id"]: b for b in c.get(URL).json()["items"]}
        pre = items[result["pre_restore_backup_id"]]
        assert pre["trigger"] == "pre-restore"
        assert pre["row_counts"]["products"] == 2  # it holds what the restore replaced
        steps = [s["step"] for s in done["steps"]]
        assert steps[0] == f"verifying backup {backup['id']}" and steps[-1] == "done"
        audit = c.get("/api/v1/admin/audit", params={"action": "backup.restore"}).json()
        [row] = audit["items"]
        assert row["actor"] == "admin-token" and row["target"] == backup["id"]
        assert row["detail"]["ok"] is True
        assert row["detail"]["pre_restore_backup_id"] == pre["id"]
    assert _state(live).maintenance is None


def test_a_corrupt_backup_is_refused_and_the_backend_carries_on(
    sqlite_live: LiveServer, hold: Callable[..., StepHold]
) -> None:
    h = hold(sqlite_live)
    with sqlite_live.client() as c:
        backup = _backup(c, h)
        make_product(c, sku="AFTER-THE-BACKUP")
        damage_table(sqlite_live.settings.paths.backups / f"vigia-{backup['id']}.sqlite3",
                     "products")  # fmt: skip
        r = c.post(f"{URL}/{backup['id']}/restore", json={"confirm": backup["id"]})
        job = h.wait_finished(c, _started(r, "restore")["id"])
        assert job["state"] == "failed" and job["result"] is None
        assert f"backup {backup['id']} is corrupt" in job["error"]
        assert "the database is unchanged" in job["error"]
        assert _state(sqlite_live).maintenance is None
        assert _skus(c) == ["AFTER-THE-BACKUP"]
        make_product(c, sku="STILL-WRITING")
        assert c.get("/health").json()["status"] == "pass"
        # Verification found it bad: it is listed so, and not offered again.
        [item] = c.get(URL).json()["items"]
        assert item["status"] == "bad" and "sha256" not in item


def test_a_newer_schema_is_refused_before_any_job(
    sqlite_live: LiveServer, make_settings: Callable[..., Settings], tmp_path: Any
) -> None:
    other = make_settings(database_url=f"sqlite:///{tmp_path / 'newer.db'}")
    backup = newer_backup(sqlite_live.settings, other)
    with sqlite_live.client() as c:
        r = c.post(f"{URL}/{backup.id}/restore", json={"confirm": backup.id})
        body = assert_problem(r, 409)
        assert "newer database schema (revision 9999" in body["detail"]
        assert c.get(f"{URL}/jobs").json()["total"] == 0


def test_one_restore_at_a_time(sqlite_live: LiveServer, hold: Callable[..., StepHold]) -> None:
    h = hold(sqlite_live, "making the pre-restore backup")
    with sqlite_live.client() as c:
        backup = _backup(c, h)
        body = {"confirm": backup["id"]}
        first = _started(c.post(f"{URL}/{backup['id']}/restore", json=body), "restore")
        h.wait("making the pre-restore backup")

        second = assert_problem(c.post(f"{URL}/{backup['id']}/restore", json=body), 409)
        assert second["job"]["id"] == first["id"] and second["job"]["state"] == "running"
        assert f"job {first['id']} (restore of backup {backup['id']}" in second["detail"]
        assert assert_problem(c.post(URL), 409)["job"]["id"] == first["id"]

        h.release["making the pre-restore backup"].set()
        assert h.wait_finished(c, first["id"])["state"] == "done"
        _backup(c, h)  # free again


def test_refusals(sqlite_live: LiveServer, hold: Callable[..., StepHold]) -> None:
    h = hold(sqlite_live)
    with sqlite_live.client() as c:
        backup = _backup(c, h)
        path = f"{URL}/{backup['id']}/restore"
        assert "repeated" in assert_problem(c.post(path, json={"confirm": "yes"}), 422)["detail"]
        assert_problem(c.post(path), 422)
        assert_problem(c.post(f"{URL}/20200101-000000-abcd/restore",
                              json={"confirm": "20200101-000000-abcd"}), 404)  # fmt: skip
        assert_problem(c.post(f"{URL}/20200101-000000-abcd/verify"), 404)
        assert_problem(c.post(f"{URL}/not-an-id/verify"), 422)
        assert_problem(c.get(f"{URL}/jobs/0123456789ab"), 404)
        assert c.get(f"{URL}/jobs").json()["total"] == 1  # only the create

        make_user(c, username="balcao", password="s3nha-forte-123")
    token = sqlite_live.login("balcao", "s3nha-forte-123")
    with sqlite_live.client(token=token) as staff:
        assert_problem(staff.get(URL), 403)
        assert_problem(staff.post(path, json={"confirm": backup["id"]}), 403)
    with sqlite_live.client(token=None) as anonymous:
        assert_problem(anonymous.post(URL), 401)
