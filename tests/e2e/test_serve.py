"""``vigia serve`` as a real process: start, drain, isolation, errors, port, DB faults, logs."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psutil
import psycopg
import pytest

from tests.e2e.process import Spawner, VigiaProcess, run_vigia
from tests.helpers.databases import PG_ADMIN, PG_URL
from tests.helpers.live import ADMIN_TOKEN, SECRET_KEY

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"
CPF = "529.982.247-25"

BROKEN_ROUTERS = {
    # name: (spec, error type the health document must name)
    "syntax": ("syntax=fx_syntax:router", "SyntaxError"),
    "missing": ("missing=fx_missing:router", "ModuleNotFoundError"),
    "raises": ("raises=fx_raises:router", "RuntimeError"),
    "badattr": ("badattr=fx_badattr:router", "TypeError"),
    "noattr": ("noattr=fx_cliente:no_such_router", "AttributeError"),
    "whatsapp": ("whatsapp=fx_missing:router@/api/erp/whatsapp", "ModuleNotFoundError"),
}
PREFIX = {name: f"/api/v1/{name}" for name in BROKEN_ROUTERS} | {"whatsapp": "/api/erp/whatsapp"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


# -- router isolation ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VigiaProcess]:
    """One server hosting every kind of broken router, the failing endpoints and a good
    ERP router mounted at its own prefix."""
    spawner = Spawner(tmp_path_factory.mktemp("broken"))
    routers = [spec for spec, _ in BROKEN_ROUTERS.values()]
    routers += ["boom=fx_boom:router", "cliente=fx_cliente:router@/api/erp/cliente"]
    try:
        yield spawner.start("serve", env={"VIGIA_ROUTERS": ",".join(routers)})
    finally:
        spawner.kill_all()


@pytest.mark.parametrize("name", sorted(BROKEN_ROUTERS))
def test_failed_router_prefix_answers_503_not_404(broken: VigiaProcess, name: str) -> None:
    with broken.client() as c:
        for path in (PREFIX[name], f"{PREFIX[name]}/", f"{PREFIX[name]}/anything/at/all"):
            r = c.get(path)
            body = _assert_problem(r, 503)
            assert r.headers["retry-after"].isdigit() and int(r.headers["retry-after"]) > 0
            assert body["router"] == name
            assert BROKEN_ROUTERS[name][1] in body["detail"]
        # Other methods too.
        _assert_problem(c.post(PREFIX[name], json={}), 503)


def test_other_routers_serve_while_some_failed(broken: VigiaProcess) -> None:
    with broken.client() as c:
        assert c.get("/api/erp/cliente/ping").json() == {"cliente": "ok"}
        r = c.post("/api/v1/customers", json={"name": "Ana", "document": CPF})
        assert r.status_code == 201, r.text
        assert c.get("/api/erp/cliente/total").json() == {"clientes": 1, "user": "admin-token"}
        assert c.get("/api/v1/products").status_code == 200
        # A path that belongs to nobody is still a plain 404 problem.
        _assert_problem(c.get("/api/v1/nobody"), 404)
        # Prefix matching is per path segment.
        _assert_problem(c.get("/api/v1/missingx"), 404)


def test_health_is_warn_and_names_each_failure(broken: VigiaProcess) -> None:
    r = httpx.get(f"{broken.url}/health", timeout=10)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["status"] == "warn"
    entries = {e["componentId"]: e for e in doc["checks"]["routers:loaded"]}
    for name, (_, error_type) in BROKEN_ROUTERS.items():
        assert entries[name]["status"] == "warn"
        assert entries[name]["output"].startswith(f"{error_type}: "), entries[name]
        assert entries[name]["prefix"] == PREFIX[name]
        assert f"{name}: {error_type}" in doc["output"]
    for name in ("auth", "admin", "products", "boom", "cliente"):
        assert entries[name]["status"] == "pass"
    assert entries["cliente"]["prefix"] == "/api/erp/cliente"
    # The admin API lists the same, with the time of the failure.
    with broken.client() as c:
        items = {i["name"]: i for i in c.get("/api/v1/admin/routers").json()["items"]}
    assert items["raises"]["status"] == "failed"
    assert items["raises"]["error_type"] == "RuntimeError"
    assert "WHATSAPP_API_KEY" in items["raises"]["error"]
    assert items["raises"]["failed_at"]


def test_failed_router_tracebacks_are_logged(broken: VigiaProcess) -> None:
    records = broken.log_records()
    for name, (_, error_type) in BROKEN_ROUTERS.items():
        matching = [
            r
            for r in records
            if r["msg"].startswith(f"router {name} (") and "failed to load" in r["msg"]
        ]
        assert matching, f"no log record for router {name}"
        assert matching[0]["level"] == "ERROR"
        assert "Traceback" in matching[0]["exc"] and error_type in matching[0]["exc"]


# -- exceptions inside routes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "exc_type"),
    [
        ("/api/v1/boom/value-error", "ValueError"),
        ("/api/v1/boom/unbound", "UnboundLocalError"),
        ("/api/v1/boom/async-error", "ZeroDivisionError"),
    ],
)
def test_exception_in_route_is_500_problem_and_logged(
    broken: VigiaProcess, path: str, exc_type: str
) -> None:
    with broken.client() as c:
        r = c.get(path)
    body = _assert_problem(r, 500)
    request_id = r.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    text = r.text
    for leak in ("s3cr3t", "Traceback", exc_type, "fx_boom", "line "):
        assert leak not in text, f"{leak!r} leaked into the 500 body: {text}"
    assert set(body) <= {"type", "title", "status", "detail", "request_id"}

    record = broken.wait_for_log(lambda rec: rec.get("request_id") == request_id and "exc" in rec)
    assert record["level"] == "ERROR"
    assert "Traceback (most recent call last)" in record["exc"]
    assert exc_type in record["exc"] and "fx_boom.py" in record["exc"]


def test_client_request_id_is_kept_on_500(broken: VigiaProcess) -> None:
    mine = "0f7b4c2e9a1d4e6f8b3c5a7d9e1f2a4b"
    with broken.client() as c:
        r = c.get("/api/v1/boom/unbound", headers={"X-Request-ID": mine})
    assert _assert_problem(r, 500)["request_id"] == mine
    # A malformed ID is replaced, never echoed.
    with broken.client() as c:
        r = c.get("/api/v1/boom/unbound", headers={"X-Request-ID": "<script>"})
    assert "<script>" not in r.text and re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])


def test_server_keeps_serving_after_many_errors(broken: VigiaProcess) -> None:
    with broken.client() as c:
        for _ in range(20):
            assert c.get("/api/v1/boom/unbound").status_code == 500
            assert c.get("/api/v1/boom/async-error").status_code == 500
        # A response that breaks half-way: the client sees a broken body, the server lives.
        with pytest.raises(httpx.HTTPError):
            c.get("/api/v1/boom/stream-error").json()
        assert c.get("/livez").status_code == 200
        assert c.get("/readyz").status_code == 200
        assert c.get("/api/erp/cliente/ping").status_code == 200
    assert broken.proc.poll() is None


# -- the port ----------------------------------------------------------------------------------


def test_port_taken_exits_1_naming_the_port_and_the_holder(spawn: Spawner) -> None:
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        started = time.monotonic()
        vigia = spawn.start(
            "serve", "--port", str(port), env={"VIGIA_PORT_RETRY_S": "1"}, wait=False
        )
        assert vigia.wait(30) == 1
        elapsed = time.monotonic() - started
    finally:
        holder.close()
    err = vigia.stderr()
    assert f"port {port}" in err
    assert f"pid {os.getpid()}" in err and psutil.Process().name() in err
    assert "VIGIA_PORT" in err  # what to do
    assert "Traceback" not in err
    assert elapsed >= 1.0
    assert not vigia.run_file.exists()


def test_port_freed_during_the_retry_window_starts(spawn: Spawner) -> None:
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        vigia = spawn.start(
            "serve", "--port", str(port), env={"VIGIA_PORT_RETRY_S": "20"}, wait=False
        )
        deadline = time.monotonic() + 20
        while "is in use; retrying" not in vigia.stderr():
            assert vigia.proc.poll() is None, vigia.stderr()
            assert time.monotonic() < deadline, "no 'retrying' message"
            time.sleep(0.05)
    finally:
        holder.close()
    assert vigia.wait_started() == port
    vigia.wait_ready()
    assert vigia.terminate() == 0


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


@pytest.mark.parametrize("busy_timeout_ms", [5000, 200], ids=["busy-wait", "retry"])
def test_sqlite_locked_by_another_process_for_3_s(spawn: Spawner, busy_timeout_ms: int) -> None:
    """Another process holds the write lock for 3 s; every write waits and succeeds.

    With a 5 s busy timeout SQLite itself waits; with 200 ms the whole transaction is
    retried with backoff."""
    vigia = spawn.start(
        "serve",
        env={"VIGIA_SQLITE_BUSY_TIMEOUT_MS": str(busy_timeout_ms), "VIGIA_DB_WRITE_ATTEMPTS": "12"},
    )
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
    retried = [r for r in records if "retrying the whole transaction" in r["msg"]]
    if busy_timeout_ms < 3000:  # the whole transaction was retried, and the log says so
        assert retried and all(r["level"] == "WARNING" for r in retried)


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
