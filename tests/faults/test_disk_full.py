"""A full disk under a running ``vigia serve``: where the logs go, where the backups go.

Each test puts that folder on its own tiny tmpfs (tests/faults/mounts.py), fills it for
real, watches the product, then frees space and measures how long until it works again.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.process import Spawner, run_vigia
from tests.faults.mounts import needs_mount, tmpfs
from tests.faults.record import FaultRow
from tests.faults.test_sqlite import FAST, Orders, health, wait_until

pytestmark = needs_mount

LOGGING_ERROR = "--- Logging error ---"


def failed_login(client: httpx.Client, n: int) -> None:
    """A request the server logs (a warning per failed login)."""
    r = client.post("/api/v1/auth/token", data={"username": f"nobody{n}", "password": "x"})
    assert r.status_code == 401, r.text


def log_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []


def test_disk_full_while_logging(
    spawn: Spawner, tmp_path: Path, fault: Callable[[str], FaultRow]
) -> None:
    row = fault("Disk full where the logs are written")
    home = tmp_path / "home"
    with tmpfs(home / "logs", size="256k") as logs:
        server = spawn.start("serve", env=FAST, home=home)
        c = server.client()
        public = server.client(token=None)
        orders = Orders(c, "LOGFULL")
        for _ in range(5):
            assert orders.post().status_code == 201

        logs.fill()
        assert logs.free_bytes() == 0
        for n in range(30):  # every one of these wants to log a line
            failed_login(public, n)
            assert orders.post().status_code == 201
            assert c.get("/api/v1/products", params={"limit": 1}).status_code == 200
        doc = wait_until_health(c, lambda d: "log" in d.get("output", ""))
        assert doc["status"] == "warn", doc
        row.sees(doc["output"])
        # Not one "--- Logging error ---" traceback per line: at most one plain line.
        stderr = server.stderr()
        assert stderr.count(LOGGING_ERROR) == 0, stderr[-3000:]
        assert "Traceback" not in stderr, stderr[-3000:]

        (logs.path / "filler.bin").unlink()
        freed_at = time.monotonic()
        marker = "nobody-after-free"
        n = 0

        def marker_logged() -> bool:
            nonlocal n
            n += 1
            r = public.post("/api/v1/auth/token", data={"username": marker, "password": "x"})
            assert r.status_code in (401, 429), r.text
            return any(marker in line for line in log_lines(server.log_file))

        wait_until(marker_logged, 30, "a log line written after space was freed")
        recovered = time.monotonic() - freed_at
        wait_until_health(c, lambda d: d["status"] == "pass")
        lines = log_lines(server.log_file)
        assert any("log lines were dropped" in line for line in lines), lines[-5:]
        assert orders.missing() == []
        server.terminate()
    row.recovered(recovered, "automatic: the next log line once space was free")
    row.lost(
        f"no data: 0 of {len(orders.acked)} acknowledged writes missing, every request "
        "answered; the log lines of the full period were dropped (their count is logged)"
    )


def wait_until_health(
    client: httpx.Client, predicate: Callable[[dict[str, Any]], bool], timeout: float = 15
) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def check() -> bool:
        found.update(health(client))
        return predicate(found)

    wait_until(check, timeout, f"health to match; last: {found}")
    return found


# -- backups -----------------------------------------------------------------------------


def grow_database(db: Path, size: int) -> None:
    """Another table with one big blob: the database (and so its backup) gets bigger."""
    with closing(sqlite3.connect(db, timeout=10)) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS ballast (data BLOB)")
        conn.execute("INSERT INTO ballast VALUES (randomblob(?))", (size,))
        conn.commit()


def backup_job(client: httpx.Client) -> dict[str, Any]:
    r = client.post("/api/v1/admin/backups")
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    job: dict[str, Any] = {}

    def finished() -> bool:
        job.update(client.get(f"/api/v1/admin/backups/jobs/{job_id}").json())
        return job["state"] in ("done", "failed")

    wait_until(finished, 60, "the backup job to finish")
    return job


def test_disk_full_while_backing_up(
    spawn: Spawner, tmp_path: Path, fault: Callable[[str], FaultRow]
) -> None:
    row = fault("Disk full where the backups are written")
    home = tmp_path / "home"
    backups = tmp_path / "backups"
    env = {**FAST, "VIGIA_BACKUP_DIR": str(backups)}
    with tmpfs(backups, size="1m") as folder:
        server = spawn.start("serve", env=env, home=home)
        c = server.client()
        orders = Orders(c, "BAKFULL")
        for _ in range(20):
            assert orders.post().status_code == 201
        grow_database(home / "vigia.db", 2 * 1024 * 1024)  # bigger than the whole tmpfs

        cli = run_vigia(["backup", "create"], home, env=env)
        assert cli.returncode != 0, cli.stdout
        assert "Traceback" not in cli.stderr + cli.stdout
        assert "space" in cli.stderr or "full" in cli.stderr, cli.stderr
        row.sees(cli.stderr.strip())

        job = backup_job(c)
        assert job["state"] == "failed", job
        assert "space" in job["error"] or "full" in job["error"], job
        assert "Traceback" not in job["error"]
        row.sees(job["error"])

        assert c.get("/api/v1/admin/backups").json()["items"] == []
        left = [p.name for p in folder.path.iterdir() if p.name != ".vigia-backup.lock"]
        assert left == [], left  # nothing half-written left behind
        listed = run_vigia(["backup", "list"], home, env=env)
        assert listed.returncode == 0 and "Traceback" not in listed.stderr
        # The live database is untouched: reads and writes go on.
        for _ in range(5):
            assert orders.post().status_code == 201

        folder.remount_size("16m")
        freed_at = time.monotonic()
        job = backup_job(c)
        assert job["state"] == "done", job
        recovered = time.monotonic() - freed_at
        items = c.get("/api/v1/admin/backups").json()["items"]
        assert len(items) == 1, items
        assert orders.missing() == []
        with closing(sqlite3.connect(f"file:{items[0]['file']}?mode=ro", uri=True)) as copy:
            in_backup = {sku for (sku,) in copy.execute("SELECT sku FROM products")}
        assert set(orders.acked) <= in_backup
        cli = run_vigia(["backup", "create"], home, env=env)
        assert cli.returncode == 0, cli.stderr
        server.terminate()
    row.recovered(recovered, "the next backup once space was freed (no cleanup needed)")
    row.lost(
        f"nothing: 0 of {len(orders.acked)} acknowledged writes missing, no partial backup "
        "left or listed; the backup made after freeing space holds them all"
    )
