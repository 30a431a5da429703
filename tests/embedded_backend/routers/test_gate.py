"""The gate on a real server: failed and disabled routers answer 503, switched at runtime."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from embedded_backend.config import Settings
from tests.helpers.live import LiveServer, live_server
from tests.helpers.router_modules import RouterModules, router_modules

PROBLEM = "application/problem+json"


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RouterModules:
    return router_modules(tmp_path, monkeypatch)


@pytest.fixture
def live(make_settings: Callable[..., Settings], modules: RouterModules) -> Iterator[LiveServer]:
    routers = f"cliente={modules.good()}@/api/erp/cliente,whatsapp={modules.broken('missing')}"
    with live_server(make_settings(routers=routers, health_cache_s=0)) as server:
        yield server


def problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["request_id"] == r.headers["x-request-id"]
    return body


def router_health(c: httpx.Client) -> tuple[str, dict[str, dict[str, Any]]]:
    doc = c.get("/health").json()
    return doc["status"], {e["componentId"]: e for e in doc["checks"]["routers:loaded"]}


def test_failed_router_answers_503_with_retry_after(live: LiveServer) -> None:
    with live.client() as c:
        for method, path in (
            ("GET", "/api/v1/whatsapp"),
            ("POST", "/api/v1/whatsapp/send"),
            ("DELETE", "/api/v1/whatsapp/1"),
        ):
            r = c.request(method, path)
            body = problem(r, 503)
            assert r.headers["retry-after"] == "60"
            assert body["router"] == "whatsapp" and "ModuleNotFoundError" in body["detail"]
        problem(c.get("/api/v1/whatsappx"), 404)  # only the prefix, segment by segment
        assert c.get("/api/erp/cliente/ping").json() == {"pong": "ok"}
        status, routers = router_health(c)
    assert status == "warn"
    assert routers["whatsapp"]["status"] == "warn"
    assert routers["whatsapp"]["errorType"] == "ModuleNotFoundError"


def test_disable_then_enable_without_restart(live: LiveServer) -> None:
    app_before = live.runner.app
    routes_before = list(app_before.routes) if app_before else []
    with live.client() as c:
        r = c.post("/api/v1/products", json={"sku": "G1", "name": "Gate", "price": 1, "stock": 1})
        assert r.status_code == 201
        pid = r.json()["id"]

        r = c.post("/api/v1/admin/routers/products/disable")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "disabled"
        for path in ("/api/v1/products", f"/api/v1/products/{pid}"):
            r = c.get(path)
            body = problem(r, 503)
            assert r.headers["retry-after"] == "30"
            assert body["router"] == "products" and "turned off" in body["detail"]
        problem(c.post("/api/v1/products", json={}), 503)  # before validation, before auth
        problem(httpx.get(f"{live.url}/api/v1/products"), 503)
        # Everything else still serves.
        assert c.get("/api/v1/customers").status_code == 200
        assert c.get("/api/erp/cliente/ping").status_code == 200
        status, routers = router_health(c)
        assert status == "warn"
        assert routers["products"] == {
            "componentId": "products",
            "componentType": "component",
            "status": "warn",
            "prefix": "/api/v1/products",
            "output": "disabled by an administrator",
        }
        listed = {i["name"]: i for i in c.get("/api/v1/admin/routers").json()["items"]}
        assert listed["products"]["status"] == "disabled"

        r = c.post("/api/v1/admin/routers/products/enable")
        assert r.status_code == 200 and r.json()["status"] == "loaded"
        assert c.get(f"/api/v1/products/{pid}").json()["sku"] == "G1"
        status, routers = router_health(c)
        assert routers["products"]["status"] == "pass"

        audit = c.get("/api/v1/admin/audit").json()["items"]
        actions = [(a["actor"], a["action"], a["target"]) for a in audit[:2]]
        assert actions == [
            ("admin-token", "router.enable", "products"),
            ("admin-token", "router.disable", "products"),
        ]
    # The same app, with the same routes: the gate did it, not a rebuild.
    assert live.runner.app is app_before
    assert list(app_before.routes if app_before else []) == routes_before


def test_admin_router_cannot_be_disabled(live: LiveServer) -> None:
    with live.client() as c:
        body = problem(c.post("/api/v1/admin/routers/admin/disable"), 409)
        assert "cannot be disabled" in body["detail"]
        assert c.get("/api/v1/admin/routers").status_code == 200
        assert c.post("/api/v1/admin/routers/admin/enable").status_code == 200
        problem(c.post("/api/v1/admin/routers/nobody/disable"), 404)


def test_a_failed_router_stays_503_after_enable(live: LiveServer) -> None:
    with live.client() as c:
        assert c.post("/api/v1/admin/routers/whatsapp/disable").status_code == 200
        r = c.get("/api/v1/whatsapp")
        problem(r, 503)
        assert r.headers["retry-after"] == "30"
        assert c.post("/api/v1/admin/routers/whatsapp/enable").json()["status"] == "failed"
        r = c.get("/api/v1/whatsapp")
        problem(r, 503)
        assert r.headers["retry-after"] == "60"


def test_only_administrators_switch_routers(live: LiveServer) -> None:
    with live.client() as c:
        created = c.post(
            "/api/v1/users",
            json={"username": "caixa", "password": "Caixa-Senha-1", "role": "staff"},
        )
        assert created.status_code == 201, created.text
    staff = live.login("caixa", "Caixa-Senha-1")
    with live.client(token=staff) as c:
        problem(c.post("/api/v1/admin/routers/products/disable"), 403)
        assert c.get("/api/v1/products").status_code == 200
    with live.client(token=None) as c:
        problem(c.post("/api/v1/admin/routers/products/disable"), 401)
    with live.client(token="wrong-token") as c:
        problem(c.post("/api/v1/admin/routers/products/disable"), 401)


def test_a_failed_critical_router_makes_health_fail(
    make_settings: Callable[..., Settings], modules: RouterModules
) -> None:
    settings = make_settings(routers=f"auth={modules.broken('syntax')}", health_cache_s=0)
    with live_server(settings) as live, live.client() as c:
        r = c.get("/readyz")
        assert r.status_code == 503
        doc = r.json()
        assert doc["status"] == "fail" and "auth: SyntaxError" in doc["output"]
        problem(c.post("/api/v1/auth/token", data={"username": "a", "password": "b"}), 503)
        # The rest of the API still answers (with the admin token).
        assert c.get("/api/v1/products").status_code == 200
        assert c.get("/livez").status_code == 200


def test_working_router_nested_under_a_failed_prefix_still_serves(
    make_settings: Callable[..., Settings], modules: RouterModules
) -> None:
    routers = f"erp={modules.broken('raises')}@/api/erp,chat={modules.good()}@/api/erp/chat"
    with live_server(make_settings(routers=routers)) as server, server.client() as c:
        assert c.get("/api/erp/anything").status_code == 503
        r = c.get("/api/erp/chat/ping")
        assert r.status_code == 200 and r.json() == {"pong": "ok"}
