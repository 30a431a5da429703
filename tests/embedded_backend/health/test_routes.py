from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
import pytest

from embedded_backend.app import create_app
from embedded_backend.config import Settings
from tests.helpers.databases import PG_ADMIN, postgresql_database
from tests.helpers.live import ADMIN_TOKEN, LiveServer, live_server

REQUIRED = {"database:responseTime", "routers:loaded", "uptime", "disk:utilization", "backup:age"}


def test_livez(sqlite_server: LiveServer) -> None:
    r = httpx.get(f"{sqlite_server.url}/livez")
    assert r.status_code == 200
    assert r.json() == {"status": "pass"}


@pytest.mark.parametrize("path", ["/readyz", "/health"])
def test_full_document_for_loopback(sqlite_server: LiveServer, path: str) -> None:
    r = httpx.get(f"{sqlite_server.url}{path}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/health+json"
    doc = r.json()
    assert doc["status"] == "pass"
    assert doc["serviceId"] == "vigia" and doc["version"]
    assert REQUIRED <= doc["checks"].keys()
    db = doc["checks"]["database:responseTime"][0]
    assert db["status"] == "pass" and db["observedUnit"] == "ms"
    assert isinstance(db["observedValue"], float) and db["observedValue"] > 0
    routers = {e["componentId"]: e for e in doc["checks"]["routers:loaded"]}
    assert {"auth", "customers", "products", "orders", "users", "admin"} <= routers.keys()
    assert all(e["status"] == "pass" for e in routers.values())


def _remote_get(app: object, token: str | None = None) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("192.0.2.10", 40000))  # type: ignore[arg-type]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # A trusted Host name: the point here is the client's address, not the host check.
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            return await client.get("/health", headers=headers)

    return asyncio.run(go())


def test_remote_clients_get_status_only_unless_admin(
    make_settings: Callable[..., Settings],
) -> None:
    # A trusted proxy on loopback forwards a LAN client's address: the server then sees
    # the request as coming from 192.0.2.10, as it would on a LAN server.
    settings = make_settings(proxy_headers=True, forwarded_allow_ips=["127.0.0.1"])
    with live_server(settings) as live:

        def remote(token: str | None = None) -> dict[str, object]:
            headers = {"X-Forwarded-For": "192.0.2.10"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            return httpx.get(f"{live.url}/health", headers=headers).json()  # type: ignore[no-any-return]

        anonymous = remote()
        assert set(anonymous) == {"status", "version", "serviceId"}
        assert remote("wrong-token").keys() == anonymous.keys()
        admin = remote(ADMIN_TOKEN)
        assert REQUIRED <= admin["checks"].keys()  # type: ignore[operator]
        assert REQUIRED <= httpx.get(f"{live.url}/health").json()["checks"].keys()


def test_not_ready_until_startup_completes(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings())  # lifespan not run: still "starting"
    r = _remote_get(app, ADMIN_TOKEN)
    assert r.status_code == 503
    assert r.json()["status"] == "fail" and "starting up" in r.json()["output"]
    app.state.vigia.db.dispose()


@pytest.mark.postgresql
def test_database_gone_is_fail_503_with_reason(make_settings: Callable[..., Settings]) -> None:
    with (
        postgresql_database() as url,
        live_server(make_settings(database_url=url, health_cache_s=0)) as live,
    ):
        assert httpx.get(f"{live.url}/readyz").status_code == 200
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        r = httpx.get(f"{live.url}/readyz", timeout=10)
        assert r.status_code == 503
        doc = r.json()
        assert doc["status"] == "fail"
        assert "database unreachable" in doc["output"] and name in doc["output"]
        assert doc["checks"]["database:responseTime"][0]["status"] == "fail"
        assert r.headers["retry-after"]


def test_answers_are_cached_briefly(make_settings: Callable[..., Settings]) -> None:
    with live_server(make_settings(health_cache_s=30)) as live:
        first = httpx.get(f"{live.url}/health").json()
        second = httpx.get(f"{live.url}/health").json()
        assert first["checks"]["database:responseTime"] == second["checks"]["database:responseTime"]


def test_stale_backup_warns(make_settings: Callable[..., Settings], home: Path) -> None:
    from tests.embedded_backend.backup.factory import aged_backup

    with live_server(make_settings(health_cache_s=0)) as live:
        aged_backup(home / "backups", hours=3 * 24)
        doc = httpx.get(f"{live.url}/health").json()
        assert doc["status"] == "warn"
        entry = doc["checks"]["backup:age"][0]
        assert entry["status"] == "warn" and entry["observedValue"] > 48
        assert "back up now" in doc["output"]
