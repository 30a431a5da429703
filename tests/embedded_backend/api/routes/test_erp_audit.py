"""Changes to products, customers and orders land in the audit log: who, what, which
record, and before/after values; a write that fails leaves no row. On SQLite, PostgreSQL
and MariaDB."""

from __future__ import annotations

from typing import Any

import httpx

from tests.embedded_backend.api.support import cnpj_digits, make_user
from tests.helpers.live import LiveServer

URL = "/api/v1/admin/audit"
PASSWORD = "senha-da-lia-para-o-erp"


def _rows(admin: httpx.Client, **params: object) -> list[dict[str, Any]]:
    r = admin.get(URL, params={"limit": 200, **params})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _total(admin: httpx.Client) -> int:
    r = admin.get(URL, params={"limit": 1})
    assert r.status_code == 200, r.text
    return int(r.json()["total"])


def _summary(row: dict[str, Any]) -> tuple[str, str, str, dict[str, Any]]:
    return row["actor"], row["action"], row["target"], row["detail"]


def _ok(r: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json() if r.content else {}
    return body


def test_erp_changes_are_audited_with_before_and_after(server: LiveServer) -> None:
    with server.client() as admin:
        make_user(admin, username="lia", password=PASSWORD)
    request_ids: dict[str, str] = {}
    body12 = "123456780001"
    cnpj = body12 + cnpj_digits(body12)
    formatted = f"{cnpj[:2]}.{cnpj[2:5]}.{cnpj[5:8]}/{cnpj[8:12]}-{cnpj[12:]}"

    with server.client(token=server.login("lia", PASSWORD)) as lia:
        r = lia.post(
            "/api/v1/products",
            json={"sku": "CAFE-1", "name": "Café", "price": "10.00", "stock": 5},
        )
        pid = _ok(r, 201)["id"]
        request_ids["product.create"] = r.headers["x-request-id"]
        # The name is sent unchanged: only the price is a change.
        r = lia.patch(f"/api/v1/products/{pid}", json={"price": "12.5", "name": "Café"})
        _ok(r)
        request_ids["product.update"] = r.headers["x-request-id"]
        # Nothing changes: nothing is recorded.
        _ok(lia.patch(f"/api/v1/products/{pid}", json={"price": "12.50", "stock": 5}))

        r = lia.post(
            "/api/v1/customers",
            json={"name": "Padaria", "document": formatted, "email": "compras@padaria.com.br"},
        )
        cid = _ok(r, 201)["id"]
        _ok(lia.patch(f"/api/v1/customers/{cid}", json={"phone": "11 5555-0000"}))

        r = lia.post(
            "/api/v1/orders",
            json={"customer_id": cid, "items": [{"product_id": pid, "quantity": 2}]},
        )
        oid = _ok(r, 201)["id"]
        _ok(lia.patch(f"/api/v1/orders/{oid}", json={"status": "cancelled"}))

    with server.client() as admin:
        _ok(admin.delete(f"/api/v1/orders/{oid}"), 204)
        _ok(admin.delete(f"/api/v1/products/{pid}"), 204)
        _ok(admin.delete(f"/api/v1/customers/{cid}"), 204)

        products = _rows(admin, action="product.*")
        customers = _rows(admin, action="customer.*")
        orders = _rows(admin, action="order.*")
        by_lia = _rows(admin, actor="lia", action="product.*")

    product = {"sku": "CAFE-1", "name": "Café", "price": "10.00", "stock": 5}
    assert [_summary(r) for r in products] == [
        ("admin-token", "product.delete", str(pid), {"before": {**product, "price": "12.50"}}),
        (
            "lia",
            "product.update",
            str(pid),
            {"changes": {"price": {"before": "10.00", "after": "12.50"}}},
        ),
        ("lia", "product.create", str(pid), {"after": product}),
    ]
    assert [r["action"] for r in by_lia] == ["product.update", "product.create"]
    # Each row carries the request ID its answer carried.
    assert products[2]["request_id"] == request_ids["product.create"]
    assert products[1]["request_id"] == request_ids["product.update"]

    customer = {
        "name": "Padaria",
        "document": cnpj,  # normalised, as stored
        "document_type": "cnpj",
        "email": "compras@padaria.com.br",
        "phone": None,
    }
    assert [_summary(r) for r in customers] == [
        (
            "admin-token",
            "customer.delete",
            str(cid),
            {"before": {**customer, "phone": "11 5555-0000"}},
        ),
        (
            "lia",
            "customer.update",
            str(cid),
            {"changes": {"phone": {"before": None, "after": "11 5555-0000"}}},
        ),
        ("lia", "customer.create", str(cid), {"after": customer}),
    ]

    order = {
        "customer_id": cid,
        "status": "confirmed",
        "total": "25.00",
        "items": [{"product_id": pid, "quantity": 2}],
    }
    assert [_summary(r) for r in orders] == [
        ("admin-token", "order.delete", str(oid), {"before": {**order, "status": "cancelled"}}),
        (
            "lia",
            "order.update",
            str(oid),
            {"changes": {"status": {"before": "confirmed", "after": "cancelled"}}},
        ),
        ("lia", "order.create", str(oid), {"after": order}),
    ]


def test_failed_writes_leave_no_audit_row(server: LiveServer) -> None:
    with server.client() as admin:
        pid = _ok(
            admin.post(
                "/api/v1/products", json={"sku": "ONLY", "name": "Único", "price": 1, "stock": 1}
            ),
            201,
        )["id"]
        other = _ok(
            admin.post(
                "/api/v1/products", json={"sku": "OTHER", "name": "Outro", "price": 1, "stock": 1}
            ),
            201,
        )["id"]
        body12 = "987654320001"
        document = body12 + cnpj_digits(body12)
        cid = _ok(
            admin.post("/api/v1/customers", json={"name": "Loja", "document": document}), 201
        )["id"]
        oid = _ok(
            admin.post(
                "/api/v1/orders",
                json={"customer_id": cid, "items": [{"product_id": pid, "quantity": 1}]},
            ),
            201,
        )["id"]
        before = _total(admin)

        failures = [
            # 409: duplicate SKU on create and on update, duplicate document
            (
                admin.post(
                    "/api/v1/products", json={"sku": "ONLY", "name": "x", "price": 1, "stock": 1}
                ),
                409,
            ),
            (admin.patch(f"/api/v1/products/{other}", json={"sku": "ONLY"}), 409),
            (admin.post("/api/v1/customers", json={"name": "Outra", "document": document}), 409),
            # 409: not enough stock; records still referenced by an order
            (
                admin.post(
                    "/api/v1/orders",
                    json={"customer_id": cid, "items": [{"product_id": other, "quantity": 2}]},
                ),
                409,
            ),
            (admin.delete(f"/api/v1/products/{pid}"), 409),
            (admin.delete(f"/api/v1/customers/{cid}"), 409),
            # 422: bad document, bad price, unknown customer on an order
            (
                admin.post("/api/v1/customers", json={"name": "X", "document": "123.456.789-00"}),
                422,
            ),
            (admin.patch(f"/api/v1/products/{pid}", json={"price": "-1"}), 422),
            (
                admin.post(
                    "/api/v1/orders",
                    json={"customer_id": 999_999, "items": [{"product_id": pid, "quantity": 1}]},
                ),
                422,
            ),
            # 404: no such record
            (admin.patch("/api/v1/products/999999", json={"price": "2.00"}), 404),
            (admin.patch("/api/v1/customers/999999", json={"name": "Ninguém"}), 404),
            (admin.patch("/api/v1/orders/999999", json={"status": "cancelled"}), 404),
            (admin.delete("/api/v1/orders/999999"), 404),
        ]
        for response, status in failures:
            assert response.status_code == status, (response.request.url, response.text)

        assert _total(admin) == before
        # Stock and order untouched by the refused writes.
        assert _ok(admin.get(f"/api/v1/products/{other}"))["stock"] == 1
        assert _ok(admin.get(f"/api/v1/orders/{oid}"))["status"] == "confirmed"
        assert [r["action"] for r in _rows(admin, action="order.*")] == ["order.create"]


def test_staff_cannot_delete_and_nothing_is_recorded(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as admin:
        make_user(admin, username="rui", password=PASSWORD)
        pid = _ok(
            admin.post(
                "/api/v1/products", json={"sku": "KEEP", "name": "Fica", "price": 1, "stock": 1}
            ),
            201,
        )["id"]
        before = _total(admin)
    with sqlite_server.client(token=sqlite_server.login("rui", PASSWORD)) as rui:
        assert rui.delete(f"/api/v1/products/{pid}").status_code == 403
    with sqlite_server.client() as admin:
        assert _total(admin) == before + 1  # rui's login, nothing else
        assert _rows(admin, actor="rui", action="product.*") == []
