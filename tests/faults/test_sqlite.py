"""Faults of the SQLite file under a running ``vigia serve``: locked by another program,
deleted, made read-only. Each test drives a real server process and real SQLite files.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.process import Spawner, VigiaProcess
from tests.faults.record import FaultRow

PROBLEM = "application/problem+json"
BUSY_MS = 5000  # sqlite_busy_timeout_ms, the default
FAST = {"VIGIA_HEALTH_CACHE_S": "0"}


# -- helpers ---------------------------------------------------------------------------------


class Orders:
    """Writes products through the API and remembers which ones were acknowledged (201)."""

    def __init__(self, client: httpx.Client, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.acked: list[str] = []
        self.n = 0

    def post(self) -> httpx.Response:
        self.n += 1
        sku = f"{self.prefix}-{self.n}"
        r = self.client.post(
            "/api/v1/products", json={"sku": sku, "name": sku, "price": "1.50", "stock": 5}
        )
        if r.status_code == 201:
            self.acked.append(sku)
        return r

    def missing(self, client: httpx.Client | None = None) -> list[str]:
        """Acknowledged products the server no longer has."""
        have: set[str] = set()
        c = client or self.client
        offset = 0
        while True:
            r = c.get("/api/v1/products", params={"limit": 200, "offset": offset})
            assert r.status_code == 200, r.text
            page = r.json()
            have.update(item["sku"] for item in page["items"])
            offset += 200
            if offset >= page["total"]:
                break
        return [sku for sku in self.acked if sku not in have]


def assert_problem(r: httpx.Response, status: int = 503) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers
    assert "Traceback" not in r.text
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["request_id"]
    if status == 503:
        assert int(r.headers["retry-after"]) >= 1
    return body


def health(client: httpx.Client) -> dict[str, Any]:
    r = client.get("/health")
    assert "Traceback" not in r.text
    doc: dict[str, Any] = r.json()
    return doc


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``predicate`` until true; return the seconds it took."""
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, f"timed out after {timeout} s: {what}"
        time.sleep(0.05)
    return time.monotonic() - started


def serving_with_orders(
    spawn: Spawner, prefix: str, count: int = 20
) -> tuple[VigiaProcess, httpx.Client, Orders]:
    """A started server that already acknowledged ``count`` products."""
    server = spawn.start("serve", env=FAST)
    client = server.client()
    orders = Orders(client, prefix)
    for _ in range(count):
        assert orders.post().status_code == 201
    return server, client, orders


def no_traceback_on_stderr(server: VigiaProcess) -> None:
    assert "Traceback" not in server.stderr(), server.stderr()[-3000:]


# -- 1. locked by another program ------------------------------------------------------------

LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE")
conn.execute("CREATE TABLE IF NOT EXISTS locker_probe (x)")
print("locked", flush=True)
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    time.sleep(0.02)
conn.execute("ROLLBACK")
conn.close()
print("released", flush=True)
"""


@contextmanager
def sqlite_locker(path: str, hold_s: float) -> Iterator[subprocess.Popen[str]]:
    """Another program holding the write lock of ``path`` for ``hold_s`` seconds."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LOCKER, path, str(hold_s)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "locked", proc.stderr.read() if proc.stderr else ""
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_sqlite_locked_by_another_process(spawn: Spawner, fault: Callable[[str], FaultRow]) -> None:
    row = fault("SQLite locked by another program for 10 s")
    server, c, orders = serving_with_orders(spawn, "LOCK")
    db_path = str(server.home / "vigia.db")

    with sqlite_locker(db_path, hold_s=10.0) as locker:
        locked_at = time.monotonic()
        # Reads go on (WAL): readers never wait for the writer.
        r = c.get("/api/v1/products", params={"limit": 5})
        assert r.status_code == 200, r.text
        # Writes wait for the lock, at most the busy timeout, then a plain 503.
        with ThreadPoolExecutor(4) as pool:
            timed = list(pool.map(lambda _: _timed(orders.post), range(4)))
        for r, took in timed:
            body = assert_problem(r)
            assert took >= BUSY_MS / 1000 * 0.8, took
            assert took < BUSY_MS / 1000 * 2 + 3, took  # waited the timeout, not forever
            assert "locked by another program" in body["detail"], body
        detail = body["detail"]
        doc = health(c)
        assert doc["status"] in ("warn", "fail"), doc
        assert "output" in doc, doc
        row.sees(detail)
        row.sees(doc["output"])
        assert time.monotonic() - locked_at < 10, "the lock must still be held here"
        assert locker.stdout is not None
        assert locker.stdout.readline().strip() == "released"
        released_at = time.monotonic()

    while True:
        r = orders.post()
        if r.status_code == 201:
            break
        assert_problem(r)
        assert time.monotonic() - released_at < 30, r.text
    recovered = time.monotonic() - released_at
    wait_until(lambda: health(c)["status"] == "pass", 10, "health to pass again")
    missing = orders.missing()
    assert missing == []
    no_traceback_on_stderr(server)
    row.recovered(recovered, "automatic: the first write after the other program let go")
    row.lost(f"nothing: 0 of {len(orders.acked)} acknowledged writes missing")


def _timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    r = call()
    return r, time.monotonic() - started


# -- 2. deleted while running ----------------------------------------------------------------


def test_sqlite_file_deleted_while_running(
    spawn: Spawner, fault: Callable[[str], FaultRow]
) -> None:
    row = fault("SQLite file deleted while running")
    server, c, orders = serving_with_orders(spawn, "DEL")
    db_file = server.home / "vigia.db"

    db_file.unlink()  # what a cleanup tool or a person does; -wal and -shm stay
    deleted_at = time.monotonic()
    # The very next write notices (before writing anything) and puts the file back from
    # the connections that still have it open.
    r = orders.post()
    assert r.status_code == 201, r.text
    assert db_file.exists()
    recovered = time.monotonic() - deleted_at
    for _ in range(20):
        assert orders.post().status_code == 201
    doc = health(c)
    assert doc["status"] == "warn", doc
    assert "deleted" in doc["output"], doc
    row.sees(doc["output"])
    no_traceback_on_stderr(server)

    # The proof: everything acknowledged, before and after the delete, survives a restart.
    assert server.terminate() == 0
    again = spawn.start("serve", env=FAST, home=server.home)
    missing = orders.missing(again.client())
    assert missing == []
    row.recovered(recovered, "automatic: the next write put the file back from the open database")
    row.lost(
        f"nothing: 0 of {len(orders.acked)} acknowledged writes missing after a restart "
        f"(20 of them written after the delete)"
    )


# -- 3. made read-only while running ---------------------------------------------------------


@contextmanager
def immutable(*paths: Path) -> Iterator[Callable[[], None]]:
    """``chattr +i``: refused even to root, and even through already open files (ext4).
    Yields a function that undoes it; it is undone at the end in any case."""
    done: list[Path] = []

    def undo() -> None:
        while done:
            subprocess.run(["chattr", "-i", str(done.pop())], check=False, timeout=10)

    try:
        for path in paths:
            r = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
            if r.returncode != 0:
                pytest.skip(f"chattr +i is not supported here: {r.stderr.strip()}")
            done.append(path)
        yield undo
    finally:
        undo()


def test_sqlite_file_made_read_only_while_running(
    spawn: Spawner, fault: Callable[[str], FaultRow]
) -> None:
    row = fault("SQLite file made read-only while running")
    server, c, orders = serving_with_orders(spawn, "RO")
    db_file = server.home / "vigia.db"
    wal = server.home / "vigia.db-wal"
    assert wal.exists()

    with immutable(db_file, wal) as make_writable:
        r = c.get("/api/v1/products", params={"limit": 5})
        assert r.status_code == 200, r.text  # reading still works
        refused = 0
        for _ in range(5):
            body = assert_problem(orders.post())
            refused += 1
        assert "read-only" in body["detail"], body
        doc = health(c)
        assert doc["status"] == "warn", doc
        assert "read-only" in doc["output"], doc
        row.sees(body["detail"])
        row.sees(doc["output"])
        make_writable()
        writable_at = time.monotonic()

    while orders.post().status_code != 201:
        assert time.monotonic() - writable_at < 30
    recovered = time.monotonic() - writable_at
    wait_until(lambda: health(c)["status"] == "pass", 10, "health to pass again")
    no_traceback_on_stderr(server)
    assert server.terminate() == 0
    again = spawn.start("serve", env=FAST, home=server.home)
    assert orders.missing(again.client()) == []
    row.recovered(recovered, "automatic: the first write once the file was writable again")
    row.lost(
        f"nothing: 0 of {len(orders.acked)} acknowledged writes missing after a restart; "
        f"{refused} refused with 503 while read-only, none half-written"
    )
