"""/api/v1/admin: routers on/off at runtime, the audit log, restart."""

from __future__ import annotations

import time

from tests.embedded_backend.api.support import assert_problem, make_product, make_user
from tests.helpers.live import LiveServer

URL = "/api/v1/admin"


def test_routers_list_and_disable_enable(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        routers = {r["name"]: r for r in c.get(f"{URL}/routers").json()["items"]}
        assert {"auth", "users", "customers", "products", "orders", "admin"} <= set(routers)
        assert routers["products"]["status"] == "loaded"
        assert routers["products"]["prefix"] == "/api/v1/products"

        r = c.post(f"{URL}/routers/products/disable")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "disabled"
        body = assert_problem(c.get("/api/v1/products"), 503)
        assert body["router"] == "products"
        assert r.headers.get("retry-after") is None
        assert c.get("/api/v1/products/1").headers["retry-after"]
        # The others keep serving.
        assert c.get("/api/v1/customers").status_code == 200

        assert c.post(f"{URL}/routers/products/enable").json()["status"] == "loaded"
        assert c.get("/api/v1/products").status_code == 200

        audit = c.get(f"{URL}/audit").json()["items"]
        actions = [(a["action"], a["target"], a["actor"]) for a in audit[:2]]
        assert actions == [
            ("router.enable", "products", "admin-token"),
            ("router.disable", "products", "admin-token"),
        ]
        assert all(a["request_id"] for a in audit[:2])


def test_admin_router_cannot_be_disabled_and_unknown_router_is_404(
    sqlite_server: LiveServer,
) -> None:
    with sqlite_server.client() as c:
        assert_problem(c.post(f"{URL}/routers/admin/disable"), 409)
        assert c.get(f"{URL}/routers").status_code == 200
        assert_problem(c.post(f"{URL}/routers/nope/disable"), 404)


def test_audit_records_user_changes(server: LiveServer) -> None:
    with server.client() as c:
        user = make_user(c, username="auditada")
        c.patch(f"/api/v1/users/{user['id']}", json={"role": "admin", "password": "nova-senha-1"})
        c.delete(f"/api/v1/users/{user['id']}")
        items = c.get(f"{URL}/audit", params={"limit": 3}).json()["items"]
        assert [(a["action"], a["target"]) for a in items] == [
            ("user.delete", "auditada"),
            ("user.update", "auditada"),
            ("user.create", "auditada"),
        ]
        assert items[1]["detail"] == {"fields": ["password", "role"]}
        assert "nova-senha-1" not in c.get(f"{URL}/audit").text
        # The first-run admin creation is recorded too.
        oldest = c.get(f"{URL}/audit", params={"offset": 3}).json()["items"]
        assert oldest[-1]["action"] == "user.create" and oldest[-1]["target"] == "admin"
        assert oldest[-1]["actor"] == "vigia"


def test_restart_from_the_admin_api(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        product = make_product(c, stock=3)
        old_app = sqlite_server.runner.app
        r = c.post(f"{URL}/restart")
        assert r.status_code == 202 and r.json() == {"status": "restarting"}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if sqlite_server.runner.app is not old_app and sqlite_server.runner.alive:
            state = sqlite_server.runner.state
            if state is not None and state.ready:
                break
        time.sleep(0.05)
    else:
        raise AssertionError("the backend did not come back after a restart")
    with sqlite_server.client() as c:
        assert c.get(f"/api/v1/products/{product['id']}").json()["stock"] == 3


def test_admin_api_needs_a_token(sqlite_server: LiveServer) -> None:
    with sqlite_server.client(token=None) as anon:
        for method, path in [
            ("GET", "/routers"),
            ("POST", "/routers/products/disable"),
            ("POST", "/restart"),
            ("GET", "/audit"),
        ]:
            assert_problem(anon.request(method, URL + path), 401)
    with sqlite_server.client() as c:
        assert c.get("/api/v1/products").status_code == 200
