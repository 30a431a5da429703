"""GET /api/v1/admin/audit: logins and admin actions are recorded, filters work, and the
table never holds a password or a token.

Every backend start here also records ``settings.initial`` (embedded_backend/settings_audit.py),
so each test's log starts with two rows: the first-run admin and the settings snapshot.
ERP changes are covered in test_erp_audit.py."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import select

from embedded_backend.db.models import AuditLog
from tests.embedded_backend.api.support import (
    assert_problem,
    make_customer,
    make_product,
    make_user,
)
from tests.helpers.live import ADMIN_TOKEN, SECRET_KEY, LiveServer

URL = "/api/v1/admin/audit"
TOKEN_URL = "/api/v1/auth/token"
PASSWORD = "segredo-da-lia-42"


def _audit(c: httpx.Client, **params: object) -> dict[str, object]:
    r = c.get(URL, params=params)
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def _actions(body: dict[str, object]) -> list[tuple[str, str, str]]:
    items = body["items"]
    assert isinstance(items, list)
    return [(i["actor"], i["action"], i["target"]) for i in items]


def _table_text(live: LiveServer) -> str:
    """Every column of every audit row, as text: what a support person could read."""
    state = live.runner.state
    assert state is not None
    with state.db.read_session() as session:
        rows = session.scalars(select(AuditLog)).all()
        return "\n".join(
            repr((r.at, r.actor, r.action, r.target, r.detail, r.request_id, r.note)) for r in rows
        )


def _events(live: LiveServer) -> str:
    """Logins (good and bad) and admin actions; returns the user's JWT."""
    with live.client() as admin:
        make_user(admin, username="lia", password=PASSWORD)
        assert admin.post("/api/v1/admin/routers/orders/disable").status_code == 200
        assert admin.post("/api/v1/admin/routers/orders/enable").status_code == 200
    with live.client(token=None) as anon:
        bad = anon.post(TOKEN_URL, data={"username": "lia", "password": "errada-" + PASSWORD})
        assert bad.status_code == 401
        assert (
            anon.post(TOKEN_URL, data={"username": "ghost", "password": PASSWORD}).status_code
            == 401
        )
    return live.login("lia", PASSWORD)


def test_logins_and_admin_actions_are_recorded(server: LiveServer) -> None:
    token = _events(server)
    with server.client() as admin:
        body = _audit(admin, limit=6)
        assert _actions(body) == [
            ("lia", "auth.login", "lia"),
            ("ghost", "auth.login_failed", "ghost"),
            ("lia", "auth.login_failed", "lia"),
            ("admin-token", "router.enable", "orders"),
            ("admin-token", "router.disable", "orders"),
            ("admin-token", "user.create", "lia"),
        ]
        items = body["items"]
        assert isinstance(items, list)
        assert items[0]["detail"] == {"client": "127.0.0.1"}
        assert all(i["request_id"] for i in items)
        assert body["total"] == 8  # plus the first-run admin's creation and settings.initial

    # ERP changes by the user and by the admin token are recorded too, and equally clean.
    with server.client(token=token) as lia:
        product = make_product(lia, price="10.00", stock=3)
        assert lia.patch(f"/api/v1/products/{product['id']}", json={"price": "11.00"}).is_success
        customer = make_customer(lia, email="lia@example.com")
        r = lia.patch(f"/api/v1/customers/{customer['id']}", json={"phone": "11 5555-0101"})
        assert r.is_success
        order = lia.post(
            "/api/v1/orders",
            json={
                "customer_id": customer["id"],
                "items": [{"product_id": product["id"], "quantity": 1}],
            },
        )
        assert order.status_code == 201, order.text
        r = lia.patch(f"/api/v1/orders/{order.json()['id']}", json={"status": "cancelled"})
        assert r.is_success
    with server.client() as admin:
        assert admin.delete(f"/api/v1/orders/{order.json()['id']}").status_code == 204
        assert admin.delete(f"/api/v1/products/{product['id']}").status_code == 204
        assert admin.delete(f"/api/v1/customers/{customer['id']}").status_code == 204
        erp = _audit(admin, limit=200)
    erp_actions = {a for _, a, _ in _actions(erp)}
    assert {
        f"{kind}.{verb}"
        for kind in ("product", "customer", "order")
        for verb in ("create", "update", "delete")
    } <= erp_actions

    text = _table_text(server)
    assert "settings.initial" in text  # the settings snapshot is part of what is checked
    for secret in (PASSWORD, "errada-", token, ADMIN_TOKEN, SECRET_KEY, "$argon2"):
        assert secret not in text, secret


def test_filters_and_paging(server: LiveServer) -> None:
    _events(server)
    with server.client() as admin:
        everything = _audit(admin)
        assert everything["total"] == 8

        by_admin = _audit(admin, actor="admin-token")
        assert by_admin["total"] == 3
        assert {a for _, a, _ in _actions(by_admin)} == {
            "router.enable",
            "router.disable",
            "user.create",
        }

        assert _actions(_audit(admin, action="auth.login_failed")) == [
            ("ghost", "auth.login_failed", "ghost"),
            ("lia", "auth.login_failed", "lia"),
        ]
        assert _audit(admin, action="auth.*")["total"] == 3
        assert _audit(admin, action="router.*")["total"] == 2
        assert _audit(admin, action="auth.login_failed", actor="lia")["total"] == 1
        # "_" and "%" are literal characters, not LIKE wildcards.
        assert _audit(admin, action="auth_*")["total"] == 0
        assert _audit(admin, action="%")["total"] == 0
        assert _audit(admin, actor="nobody") == {"items": [], "total": 0}

        # Paging keeps the total.
        page = _audit(admin, limit=2, offset=2)
        assert page["total"] == 8
        assert _actions(page) == _actions(everything)[2:4]

        # Time filters: since inclusive, until exclusive; naive times are UTC.
        items = everything["items"]
        assert isinstance(items, list)
        pivot = datetime.fromisoformat(items[3]["at"])
        since = _audit(admin, since=pivot.isoformat())
        assert _actions(since) == _actions(everything)[:4]
        until = _audit(admin, until=pivot.isoformat())
        assert _actions(until) == _actions(everything)[4:]
        naive = pivot.replace(tzinfo=None).isoformat()
        assert _audit(admin, since=naive)["total"] == 4
        brasilia = pivot.astimezone(timezone(timedelta(hours=-3))).isoformat()
        assert _audit(admin, since=brasilia)["total"] == 4  # the same instant, another offset
        window = _audit(admin, since=pivot.isoformat(), until=pivot.isoformat())
        assert window["total"] == 0


def test_bad_filters_are_422(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as admin:
        assert_problem(admin.get(URL, params={"since": "yesterday"}), 422)
        assert_problem(admin.get(URL, params={"limit": 0}), 422)
        assert_problem(admin.get(URL, params={"actor": "x" * 65}), 422)
    with sqlite_server.client(token=None) as anon:
        assert_problem(anon.get(URL), 401)


def test_restart_is_recorded(sqlite_server: LiveServer) -> None:
    old_app = sqlite_server.runner.app
    with sqlite_server.client() as admin:
        assert admin.post("/api/v1/admin/restart").status_code == 202
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = sqlite_server.runner.state
        if sqlite_server.runner.app is not old_app and state is not None and state.ready:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the backend did not come back after a restart")
    with sqlite_server.client() as admin:
        assert _actions(_audit(admin, action="backend.restart")) == [
            ("admin-token", "backend.restart", None)
        ]
        # The same settings after the restart: the snapshot of the first start still holds.
        assert _actions(_audit(admin, action="settings.*")) == [("vigia", "settings.initial", None)]
