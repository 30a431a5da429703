"""/api/v1/orders on SQLite, PostgreSQL and MariaDB: stock is taken in the same
transaction as the order, never goes negative, and a refused order writes nothing."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from tests.embedded_backend.api.support import (
    assert_problem,
    make_customer,
    make_product,
    make_user,
)
from tests.helpers.live import LiveServer

URL = "/api/v1/orders"


def _stock(c: httpx.Client, product_id: int) -> int:
    stock: int = c.get(f"/api/v1/products/{product_id}").json()["stock"]
    return stock


def _order(c: httpx.Client, customer_id: int, *lines: tuple[int, int]) -> httpx.Response:
    return c.post(
        URL,
        json={
            "customer_id": customer_id,
            "items": [{"product_id": p, "quantity": q} for p, q in lines],
        },
    )


def test_order_takes_stock_and_totals_to_the_cent(server: LiveServer) -> None:
    with server.client() as c:
        customer = make_customer(c)
        pen = make_product(c, price="19.99", stock=10)
        pad = make_product(c, price="0.10", stock=100)

        r = _order(c, customer["id"], (pen["id"], 3))
        assert r.status_code == 201, r.text
        order = r.json()
        assert order["id"] >= 1
        assert order["total"] == 59.97  # 3 x 19.99, not 59.970000000000006
        assert f"{order['total']:.2f}" == "59.97"
        assert order["status"] == "confirmed"
        assert order["customer_id"] == customer["id"]
        assert order["created_by"] == "admin-token"
        assert order["items"] == [
            {"product_id": pen["id"], "quantity": 3, "unit_price": 19.99, "line_total": 59.97}
        ]
        assert _stock(c, pen["id"]) == 7

        # 0.10 x 3 is 0.30 exactly (binary floats would give 0.30000000000000004).
        r = _order(c, customer["id"], (pad["id"], 3), (pen["id"], 1))
        assert r.status_code == 201, r.text
        assert r.json()["total"] == 20.29
        assert _stock(c, pad["id"]) == 97 and _stock(c, pen["id"]) == 6

        got = c.get(f"{URL}/{order['id']}").json()
        assert got["total"] == 59.97 and got["items"] == order["items"]
        listing = c.get(URL).json()
        assert listing["total"] == 2
        assert [o["id"] for o in listing["items"]] == [order["id"], r.json()["id"]]
        assert (
            c.get(URL, params={"limit": 1, "offset": 1}).json()["items"][0]["id"]
            == (r.json()["id"])
        )

        # A later price change does not change past orders.
        c.patch(f"/api/v1/products/{pen['id']}", json={"price": "25.00"})
        got = c.get(f"{URL}/{order['id']}").json()
        assert got["total"] == 59.97 and got["items"][0]["unit_price"] == 19.99


def test_not_enough_stock_is_409_and_nothing_written(server: LiveServer) -> None:
    with server.client() as c:
        customer = make_customer(c)
        plenty = make_product(c, price="1.00", stock=50)
        scarce = make_product(c, price="2.00", stock=2)
        assert _order(c, customer["id"], (plenty["id"], 1)).status_code == 201
        before_orders = c.get(URL).json()

        # The first line could be served; the second cannot: the first must be undone.
        r = _order(c, customer["id"], (plenty["id"], 10), (scarce["id"], 3))
        body = assert_problem(r, 409)
        assert scarce["sku"] in body["detail"]
        assert _stock(c, plenty["id"]) == 49
        assert _stock(c, scarce["id"]) == 2
        assert c.get(URL).json() == before_orders
        assert before_orders["total"] == 1

        # Exactly the stock left is fine, and leaves zero.
        r = _order(c, customer["id"], (scarce["id"], 2))
        assert r.status_code == 201, r.text
        assert _stock(c, scarce["id"]) == 0
        assert_problem(_order(c, customer["id"], (scarce["id"], 1)), 409)
        assert _stock(c, scarce["id"]) == 0
        assert c.get(URL).json()["total"] == 2


def test_duplicate_lines_count_together_against_stock(server: LiveServer) -> None:
    with server.client() as c:
        customer = make_customer(c)
        product = make_product(c, price="3.33", stock=5)
        assert_problem(_order(c, customer["id"], (product["id"], 3), (product["id"], 3)), 409)
        assert _stock(c, product["id"]) == 5
        r = _order(c, customer["id"], (product["id"], 2), (product["id"], 3))
        assert r.status_code == 201, r.text
        assert r.json()["items"] == [
            {"product_id": product["id"], "quantity": 5, "unit_price": 3.33, "line_total": 16.65}
        ]
        assert r.json()["total"] == 16.65
        assert _stock(c, product["id"]) == 0


def test_concurrent_orders_never_oversell(server: LiveServer) -> None:
    with server.client() as c:
        customer = make_customer(c)
        product = make_product(c, price="9.90", stock=5)
    start = threading.Barrier(20)
    results: list[Any] = []

    def buy() -> None:
        with server.client() as mine:
            start.wait()
            try:
                r = _order(mine, customer["id"], (product["id"], 1))
                results.append((r.status_code, r.headers.get("content-type")))
            except httpx.HTTPError as exc:  # recorded, so the assertion below shows it
                results.append(repr(exc))

    threads = [threading.Thread(target=buy) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    codes = sorted(x[0] if isinstance(x, tuple) else x for x in results)
    assert codes == [201] * 5 + [409] * 15, results
    assert all(x[1].startswith("application/problem+json") for x in results if x[0] == 409)
    with server.client() as c:
        assert _stock(c, product["id"]) == 0
        orders = c.get(URL, params={"limit": 200}).json()
        assert orders["total"] == 5
        assert sum(o["items"][0]["quantity"] for o in orders["items"]) == 5


def test_cancel_restores_stock_and_reconfirm_takes_it_again(server: LiveServer) -> None:
    with server.client() as c:
        customer = make_customer(c)
        product = make_product(c, price="4.00", stock=5)
        order = _order(c, customer["id"], (product["id"], 4)).json()
        assert _stock(c, product["id"]) == 1

        r = c.patch(f"{URL}/{order['id']}", json={"status": "cancelled"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "cancelled"
        assert _stock(c, product["id"]) == 5
        # Cancelling twice does not give the stock back twice.
        assert c.patch(f"{URL}/{order['id']}", json={"status": "cancelled"}).status_code == 200
        assert _stock(c, product["id"]) == 5

        # Someone else takes most of the stock: the cancelled order cannot be re-confirmed.
        other = _order(c, customer["id"], (product["id"], 3)).json()
        assert_problem(c.patch(f"{URL}/{order['id']}", json={"status": "confirmed"}), 409)
        assert c.get(f"{URL}/{order['id']}").json()["status"] == "cancelled"
        assert _stock(c, product["id"]) == 2

        assert c.delete(f"{URL}/{other['id']}").status_code == 204
        assert _stock(c, product["id"]) == 5
        r = c.patch(f"{URL}/{order['id']}", json={"status": "confirmed"})
        assert r.status_code == 200 and r.json()["status"] == "confirmed"
        assert _stock(c, product["id"]) == 1

        assert_problem(c.patch(f"{URL}/{order['id']}", json={"status": "shipped"}), 422)


def test_delete_restores_stock_only_for_confirmed_orders(server: LiveServer) -> None:
    with server.client() as c:
        customer = make_customer(c)
        product = make_product(c, stock=10)
        confirmed = _order(c, customer["id"], (product["id"], 3)).json()
        cancelled = _order(c, customer["id"], (product["id"], 2)).json()
        c.patch(f"{URL}/{cancelled['id']}", json={"status": "cancelled"})
        assert _stock(c, product["id"]) == 7

        assert c.delete(f"{URL}/{cancelled['id']}").status_code == 204
        assert _stock(c, product["id"]) == 7
        assert c.delete(f"{URL}/{confirmed['id']}").status_code == 204
        assert _stock(c, product["id"]) == 10
        assert c.get(URL).json() == {"items": [], "total": 0}
        assert_problem(c.get(f"{URL}/{confirmed['id']}"), 404)


def test_staff_can_order_but_not_delete(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    with server.client() as c:
        customer = make_customer(c)
        product = make_product(c, stock=3)
        make_user(c, username="caixa", password="caixa-senha-1")
    token = server.login("caixa", "caixa-senha-1")
    with server.client(token=token) as staff:
        r = _order(staff, customer["id"], (product["id"], 1))
        assert r.status_code == 201, r.text
        assert r.json()["created_by"] == "caixa"
        assert_problem(staff.delete(f"{URL}/{r.json()['id']}"), 403)
        assert (
            staff.patch(f"{URL}/{r.json()['id']}", json={"status": "cancelled"}).status_code == 200
        )
        assert _stock(staff, product["id"]) == 3
