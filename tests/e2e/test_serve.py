"""``vigia serve`` as a real process: start, drain, request ids, DB waits, logs.

Faults with a row in the fault matrix (broken routers, the port taken, ...) are in
``tests/faults``.
"""

from __future__ import annotations

import json
import re
import secrets
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest

from tests.e2e.process import Spawner, VigiaProcess, run_vigia
from tests.helpers.databases import PG_ADMIN, PG_URL
from tests.helpers.live import ADMIN_TOKEN, SECRET_KEY

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"
CPF = "529.982.247-25"


def _assert_problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    assert body["request_id"] == r.headers["x-request-id"]
    return body


# -- start, ready, stop ------------------------------------------------------------------


def test_serve_on_port_0_publishes_the_port_and_gets_ready(vigia: VigiaProcess) -> None:
    with vigia.client(token=None) as c:
        live = c.get("/livez")
        assert live.status_code == 200 and live.json() == {"status": "pass"}
        ready = c.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.headers["content-type"].startswith("application/health+json")
        doc = ready.json()
        assert doc["status"] == "pass" and doc["serviceId"] == "vigia"
        assert doc["checks"]["database:responseTime"][0]["observedValue"] > 0
        assert "x-request-id" in live.headers
    published = json.loads(vigia.run_file.read_text(encoding="utf-8"))
    assert published["pid"] == vigia.proc.pid and published["port"] == vigia.port != 0
    assert f"Vigia serving on http://127.0.0.1:{vigia.port}" in vigia.stdout()

    assert vigia.terminate() == 0
    assert not vigia.run_file.exists()


def test_sigterm_drains_requests_in_flight(spawn: Spawner) -> None:
    vigia = spawn.start("serve", env={"VIGIA_ROUTERS": "slow=fx_slow:router"})
    seconds = 1.5

    def slow(i: int) -> tuple[int, Any]:
        path = "/api/v1/slow/sleep" if i % 2 else "/api/v1/slow/sleep-sync"
        r = httpx.get(f"{vigia.url}{path}", params={"s": seconds}, timeout=30)
        return r.status_code, r.json()

    with ThreadPoolExecutor(5) as pool:
        futures = [pool.submit(slow, i) for i in range(5)]
        deadline = time.monotonic() + 10
        with vigia.client(token=None) as c:
            while c.get("/api/v1/slow/active").json()["active"] < 5:
                assert time.monotonic() < deadline, "the 5 slow requests never started"
                time.sleep(0.02)
        vigia.signal(signal.SIGTERM)
        results = [f.result(timeout=30) for f in futures]

    assert results == [(200, {"slept": seconds})] * 5
    assert vigia.wait(30) == 0
    assert not vigia.run_file.exists()
    messages = [r["msg"] for r in vigia.log_records()]
    assert any("database connections closed" in m for m in messages), messages
    assert "stopping (finishing requests in progress)" in vigia.stderr()


def test_sigint_stops_gracefully_too(vigia: VigiaProcess) -> None:
    vigia.signal(signal.SIGINT)
    assert vigia.wait(30) == 0
    assert not vigia.run_file.exists()


# -- request ids on errors (the faults themselves are rows in tests/faults/test_routers.py) --


def test_client_request_id_is_kept_on_500(spawn: Spawner) -> None:
    broken = spawn.start("serve", env={"VIGIA_ROUTERS": "boom=fx_boom:router"})
    mine = "0f7b4c2e9a1d4e6f8b3c5a7d9e1f2a4b"
    with broken.client() as c:
        r = c.get("/api/v1/boom/unbound", headers={"X-Request-ID": mine})
    assert _assert_problem(r, 500)["request_id"] == mine
    # A malformed ID is replaced, never echoed.
    with broken.client() as c:
        r = c.get("/api/v1/boom/unbound", headers={"X-Request-ID": "<script>"})
    assert "<script>" not in r.text and re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])


# -- database faults ----------------------------------------------------------------------------


@pytest.mark.postgresql
def test_database_appearing_after_start(spawn: Spawner) -> None:
    name = f"vigia_late_{secrets.token_hex(6)}"
    try:
        vigia = spawn.start(
            "serve",
            env={
                "VIGIA_DATABASE_URL": PG_URL.format(name=name),
                "VIGIA_DB_STARTUP_RETRY_S": "1",
                "VIGIA_DB_BACKGROUND_RETRY_S": "1",
                "VIGIA_HEALTH_CACHE_S": "0",
                "VIGIA_ROUTERS": "cliente=fx_cliente:router@/api/erp/cliente",
            },
        )
        with vigia.client() as c:
            r = c.get("/readyz")
            assert r.status_code == 503, r.text
            assert r.headers["retry-after"]
            doc = r.json()
            assert doc["status"] == "fail"
            assert name in doc["output"] and "does not exist" in doc["output"]
            assert doc["checks"]["database:responseTime"][0]["status"] == "fail"
            assert c.get("/livez").status_code == 200
            # ERP calls fail fast and cleanly: 503 problem, never 500.
            for call in (
                lambda: c.get("/api/v1/products"),
                lambda: c.post(
                    "/api/v1/products", json={"sku": "L1", "name": "x", "price": 1, "stock": 1}
                ),
                lambda: c.get("/api/erp/cliente/total"),
            ):
                r = call()
                _assert_problem(r, 503)
                assert r.headers["retry-after"]
            # A login needs the database too: 503, not 500 and not 401.
            _assert_problem(
                c.post("/api/v1/auth/token", data={"username": "admin", "password": "whatever1"}),
                503,
            )

            with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            doc = vigia.wait_ready(timeout=20)
            assert doc["status"] == "pass"
            r = c.post("/api/v1/products", json={"sku": "L1", "name": "x", "price": 1, "stock": 1})
            assert r.status_code == 201, r.text
            assert c.get("/api/erp/cliente/total").json()["clientes"] == 0
        messages = [rec["msg"] for rec in vigia.log_records()]
        assert any("database is reachable again" in m for m in messages), messages
        assert vigia.terminate() == 0
    finally:
        spawn.kill_all()
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO audit_log (at, actor, action, target) "
             "VALUES ('2026-01-01 00:00:00', 'locker', 'lock', 'db')")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
print("released", flush=True)
"""


def test_sqlite_locked_by_another_process_for_3_s(spawn: Spawner) -> None:
    """Another process holds the write lock for 3 s; with the default busy timeout (5 s,
    the longest a write waits in all) every write waits and succeeds. A lock held longer
    than that is tests/faults/test_sqlite.py's fault: a 503 that says so."""
    vigia = spawn.start("serve")
    with vigia.client() as c:
        customer = c.post("/api/v1/customers", json={"name": "Ana", "document": CPF}).json()["id"]
        base = c.post(
            "/api/v1/products", json={"sku": "BASE", "name": "Base", "price": "9.90", "stock": 100}
        )
        assert base.status_code == 201, base.text
        base_id = base.json()["id"]

    locker = subprocess.Popen(
        [sys.executable, "-c", _LOCKER, str(vigia.home / "vigia.db"), "3"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert locker.stdout is not None
        assert locker.stdout.readline().strip() == "locked"
        locked_at = time.monotonic()

        def post(i: int) -> tuple[int, float, str]:
            with httpx.Client(
                base_url=vigia.url, timeout=60, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
            ) as c:
                if i % 3 == 2:
                    r = c.post(
                        "/api/v1/orders",
                        json={
                            "customer_id": customer,
                            "items": [{"product_id": base_id, "quantity": 1}],
                        },
                    )
                else:
                    r = c.post(
                        "/api/v1/products",
                        json={"sku": f"P{i}", "name": f"Produto {i}", "price": "1.50", "stock": 5},
                    )
                return r.status_code, time.monotonic() - locked_at, r.text

        with ThreadPoolExecutor(9) as pool:
            results = list(pool.map(post, range(9)))
        assert locker.wait(10) == 0
    finally:
        if locker.poll() is None:
            locker.kill()
        locker.wait(10)
        if locker.stdout is not None:
            locker.stdout.close()

    assert [code for code, _, _ in results] == [201] * 9, results
    assert max(t for _, t, _ in results) >= 2.5  # they really waited for the lock
    with vigia.client() as c:
        assert c.get("/api/v1/products").json()["total"] == 7
        assert c.get(f"/api/v1/products/{base_id}").json()["stock"] == 97
        assert c.get("/api/v1/orders").json()["total"] == 3
    records = vigia.log_records()
    assert [r for r in records if r["level"] in ("ERROR", "CRITICAL")] == []


# -- logs --------------------------------------------------------------------------------------


def test_logs_are_json_lines_with_request_ids_and_no_secrets(spawn: Spawner) -> None:
    home = spawn.base / "logs-home"
    password = "Correct-Horse-Battery-42"
    created = run_vigia(["users", "create", "maria", "--password-stdin"], home, stdin=password)
    assert created.returncode == 0, created.stderr
    vigia = spawn.start(
        "serve", home=home, env={"VIGIA_ROUTERS": "boom=fx_boom:router", "VIGIA_LOG_LEVEL": "DEBUG"}
    )
    db_password = "pg-Pa55word-xyz"
    with vigia.client(token=None) as c:
        r = c.post("/api/v1/auth/token", data={"username": "maria", "password": password})
        assert r.status_code == 200, r.text
        jwt = r.json()["access_token"]
        wrong = c.post(
            "/api/v1/auth/token", data={"username": "maria", "password": "Wrong-Password-99"}
        )
        _assert_problem(wrong, 401)
        c.get("/api/v1/products", headers={"Authorization": f"Bearer {jwt}"})
        c.get("/api/v1/boom/unbound", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        leak = c.post(
            "/api/v1/boom/leak",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            json={"password": password, "dsn": f"postgresql://erp:{db_password}@db/erp"},
        )
        assert leak.status_code == 200
        leak_id = leak.headers["x-request-id"]
    assert vigia.terminate() == 0

    text = vigia.log_text()
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) > 10
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    for record in records:
        assert {"ts", "level", "logger", "msg", "request_id"} <= record.keys()
    assert any(r["request_id"] == leak_id and r["logger"] == "fx_boom" for r in records)
    assert any("failed login" in r["msg"] and r["request_id"] for r in records)
    for secret in (ADMIN_TOKEN, SECRET_KEY, password, "Wrong-Password-99", jwt, db_password):
        assert secret not in text, f"a secret reached backend.jsonl: {secret[:6]}..."
        assert secret not in vigia.stderr()
