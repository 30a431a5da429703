"""/api/v1/products on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from tests.embedded_backend.api.support import (
    assert_problem,
    make_customer,
    make_product,
    without_times,
)
from tests.helpers.live import LiveServer

URL = "/api/v1/products"


def test_create_get_patch_delete(server: LiveServer) -> None:
    with server.client() as c:
        r = c.post(URL, json={"sku": "CAN-01", "name": "Caneta azul", "price": "2.50", "stock": 3})
        assert r.status_code == 201, r.text
        created = r.json()
        assert isinstance(created["id"], int) and created["id"] >= 1
        assert created["sku"] == "CAN-01" and created["name"] == "Caneta azul"
        assert created["price"] == 2.5 and created["stock"] == 3
        pid = created["id"]

        got = c.get(f"{URL}/{pid}")
        assert got.status_code == 200
        # Timestamps compared to the second: MariaDB's DATETIME column drops microseconds.
        assert without_times(got.json()) == without_times(created)
        assert got.json()["created_at"][:19] == created["created_at"][:19]

        r = c.patch(f"{URL}/{pid}", json={"price": 3.1, "stock": 7})
        assert r.status_code == 200, r.text
        assert r.json()["price"] == 3.1 and r.json()["stock"] == 7
        assert r.json()["sku"] == "CAN-01"
        assert c.get(f"{URL}/{pid}").json()["stock"] == 7

        r = c.delete(f"{URL}/{pid}")
        assert r.status_code == 204 and r.content == b""
        assert_problem(c.get(f"{URL}/{pid}"), 404)
        assert_problem(c.delete(f"{URL}/{pid}"), 404)
        assert_problem(c.patch(f"{URL}/{pid}", json={"stock": 1}), 404)

        # Prices are kept exact to the cent (NUMERIC(12, 2) on every database).
        for price in ("0.00", "0.01", "19.99", "1234567.89", "9999999999.99"):
            pid = make_product(c, price=price)["id"]
            assert f"{c.get(f'{URL}/{pid}').json()['price']:.2f}" == price


def test_list_shape_limit_offset(server: LiveServer) -> None:
    with server.client() as c:
        empty = c.get(URL).json()
        assert empty == {"items": [], "total": 0}
        ids = [make_product(c, sku=f"P{i:02d}")["id"] for i in range(7)]

        page = c.get(URL).json()
        assert set(page) == {"items", "total"}
        assert page["total"] == 7
        assert [p["id"] for p in page["items"]] == ids

        first = c.get(URL, params={"limit": 3}).json()
        assert first["total"] == 7 and [p["id"] for p in first["items"]] == ids[:3]
        middle = c.get(URL, params={"limit": 3, "offset": 3}).json()
        assert [p["id"] for p in middle["items"]] == ids[3:6]
        last = c.get(URL, params={"limit": 3, "offset": 6}).json()
        assert [p["id"] for p in last["items"]] == ids[6:]
        past = c.get(URL, params={"limit": 200, "offset": 100}).json()
        assert past == {"items": [], "total": 7}

        assert c.get(URL, params={"limit": 200}).status_code == 200
        assert_problem(c.get(URL, params={"limit": 201}), 422)
        assert_problem(c.get(URL, params={"limit": 0}), 422)
        assert_problem(c.get(URL, params={"offset": -1}), 422)


def test_duplicate_sku_is_409_and_first_product_untouched(server: LiveServer) -> None:
    with server.client() as c:
        first = make_product(c, sku="DUP-1", name="Original", stock=4)
        r = c.post(URL, json={"sku": "DUP-1", "name": "Copia", "price": 1, "stock": 9})
        body = assert_problem(r, 409)
        assert "DUP-1" in body["detail"]
        # Surrounding whitespace is trimmed, so this is the same SKU.
        assert_problem(
            c.post(URL, json={"sku": " DUP-1 ", "name": "x", "price": 1, "stock": 1}), 409
        )
        page = c.get(URL).json()
        assert page["total"] == 1
        assert page["items"][0]["name"] == "Original" and page["items"][0]["stock"] == 4
        assert page["items"][0]["id"] == first["id"]

        b = make_product(c, sku="B")
        assert_problem(c.patch(f"{URL}/{b['id']}", json={"sku": "DUP-1"}), 409)
        assert c.get(f"{URL}/{b['id']}").json()["sku"] == "B"
        # Same SKU on itself is not a conflict.
        assert c.patch(f"{URL}/{b['id']}", json={"sku": "B"}).status_code == 200


def test_product_in_an_order_cannot_be_deleted(server: LiveServer) -> None:
    with server.client() as c:
        product = make_product(c, stock=5)
        customer = make_customer(c)
        r = c.post(
            "/api/v1/orders",
            json={
                "customer_id": customer["id"],
                "items": [{"product_id": product["id"], "quantity": 1}],
            },
        )
        assert r.status_code == 201, r.text
        assert_problem(c.delete(f"{URL}/{product['id']}"), 409)
        assert c.get(f"{URL}/{product['id']}").status_code == 200
