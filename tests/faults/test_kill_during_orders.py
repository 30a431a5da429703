"""``kill -9`` of ``vigia serve`` while several clients create orders, then a restart.

Every order the server acknowledged (201 with an id) must be there after the restart
with its items and total, no order may be half-written, and the stock must add up:
initial stock - the quantities of *all* orders in the database == current stock.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.e2e.process import Spawner, VigiaProcess, run_vigia
from tests.faults.record import FaultRow
from tests.helpers.databases import postgresql_database
from tests.helpers.live import ADMIN_TOKEN

CPF = "529.982.247-25"
WRITERS = 4
INITIAL_STOCK = 1_000_000
PRICES = ("9.90", "0.35", "120.00")
KILL_AFTER_ACKS = 60


@dataclass(frozen=True)
class Acked:
    id: int
    items: dict[int, int]  # product id -> quantity
    total: str


@contextlib.contextmanager
def _database(backend: str) -> Iterator[dict[str, str]]:
    if backend == "postgresql":
        with postgresql_database() as url:
            yield {"VIGIA_DATABASE_URL": url}
    else:
        yield {}


def _seed(vigia: VigiaProcess) -> tuple[int, list[int]]:
    with vigia.client() as c:
        customer = c.post("/api/v1/customers", json={"name": "Ana", "document": CPF})
        assert customer.status_code == 201, customer.text
        products = []
        for n, price in enumerate(PRICES):
            r = c.post(
                "/api/v1/products",
                json={"sku": f"K{n}", "name": f"Item {n}", "price": price, "stock": INITIAL_STOCK},
            )
            assert r.status_code == 201, r.text
            products.append(int(r.json()["id"]))
    return int(customer.json()["id"]), products


def _writer(
    vigia: VigiaProcess,
    customer: int,
    products: list[int],
    seed: int,
    acked: list[Acked],
    lock: threading.Lock,
    stop: threading.Event,
) -> None:
    rng = random.Random(seed)
    with httpx.Client(
        base_url=vigia.url, timeout=10, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    ) as c:
        while not stop.is_set():
            lines = {p: rng.randint(1, 5) for p in rng.sample(products, rng.randint(1, 3))}
            body = {
                "customer_id": customer,
                "items": [{"product_id": p, "quantity": q} for p, q in lines.items()],
            }
            try:
                r = c.post("/api/v1/orders", json=body)
            except httpx.HTTPError:
                return  # the server is gone: this request was never acknowledged
            if r.status_code == 201:
                order = r.json()
                with lock:
                    acked.append(Acked(int(order["id"]), lines, str(order["total"])))


def _all_orders(c: httpx.Client) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = []
    while True:
        page = c.get("/api/v1/orders", params={"limit": 200, "offset": len(orders)}).json()
        orders += page["items"]
        if len(orders) >= page["total"]:
            return orders


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def test_kill_9_during_order_writes(
    spawn: Spawner, fault: Callable[[str], FaultRow], backend: str
) -> None:
    row = fault(f"kill -9 of vigia serve during order writes ({backend})")
    with _database(backend) as db_env:
        env = {**db_env, "VIGIA_RATE_LIMIT_PER_MINUTE": "0", "VIGIA_HEALTH_CACHE_S": "0"}
        vigia = spawn.start("serve", env=env)
        customer, products = _seed(vigia)

        acked: list[Acked] = []
        lock = threading.Lock()
        stop = threading.Event()
        threads = [
            threading.Thread(target=_writer, args=(vigia, customer, products, n, acked, lock, stop))
            for n in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        try:
            deadline = time.monotonic() + 60
            while len(acked) < KILL_AFTER_ACKS:
                assert time.monotonic() < deadline, f"only {len(acked)} orders in 60 s"
                assert all(t.is_alive() for t in threads), "a writer stopped before the kill"
                time.sleep(0.01)
            vigia.proc.kill()  # SIGKILL, mid-stream: the writers are still sending
            vigia.proc.wait(10)
        finally:
            stop.set()
            for thread in threads:
                thread.join(30)
        acked_ids = {a.id: a for a in acked}

        down = run_vigia(["status"], vigia.home, env, timeout=30)
        assert down.returncode != 0 and "Traceback" not in down.stdout + down.stderr
        row.sees(down.stdout.strip() or down.stderr.strip())

        started = time.monotonic()
        again = spawn.start("serve", env=env, home=vigia.home)
        again.wait_ready(timeout=60)
        seconds = time.monotonic() - started
        up = run_vigia(["status"], vigia.home, env, timeout=30)
        assert up.returncode == 0, up.stdout + up.stderr
        row.sees(up.stdout.strip())

        with again.client() as c:
            orders = _all_orders(c)
            stock = {p: int(c.get(f"/api/v1/products/{p}").json()["stock"]) for p in products}
        assert again.terminate() == 0

    by_id = {int(o["id"]): o for o in orders}
    missing = [i for i in acked_ids if i not in by_id]
    assert not missing, f"{len(missing)} acknowledged orders lost: {missing[:10]}"
    for order_id, ack in acked_ids.items():
        stored = by_id[order_id]
        assert {i["product_id"]: i["quantity"] for i in stored["items"]} == ack.items
        assert Decimal(str(stored["total"])) == Decimal(ack.total)
        assert stored["status"] == "confirmed"
    for order in orders:  # none half-written, acknowledged or not
        assert order["items"], order
        lines = sum(Decimal(str(i["line_total"])) for i in order["items"])
        assert Decimal(str(order["total"])) == lines, order
    taken = {p: 0 for p in products}
    for order in orders:
        for item in order["items"]:
            taken[item["product_id"]] += item["quantity"]
    assert {p: INITIAL_STOCK - taken[p] for p in products} == stock

    unacked = len(orders) - len(acked_ids)
    row.recovered(seconds, "restart on the same data; the database needs no repair")
    row.lost(
        f"nothing: 0 of {len(acked_ids)} acknowledged orders missing or changed; "
        f"{unacked} committed but unacknowledged at the kill (whole, not partial); stock adds "
        f"up for "
        f"{len(products)} of {len(products)} products"
    )
