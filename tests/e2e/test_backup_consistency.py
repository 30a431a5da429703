"""A backup taken while the backend keeps serving orders, on SQLite and PostgreSQL.

``vigia serve`` runs as a real process; four threads create orders over HTTP without
pause; ``vigia backup create`` runs as another real process in the middle. The backup
must hold every order acknowledged before it started, be consistent (per product:
stock + ordered quantity = initial stock) and no writer may fail.
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.e2e.process import Spawner, VigiaProcess, run_vigia
from tests.embedded_backend.backup.conftest import add_ballast
from tests.helpers.databases import PG_ADMIN, postgresql_database

pytestmark = pytest.mark.e2e

CPF = "52998224725"
INITIAL_STOCK = 1_000_000
WRITERS = 4


@dataclass
class Writes:
    acked: list[tuple[float, int]] = field(default_factory=list)  # (wall time, order id)
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _writer(server: VigiaProcess, customer: int, products: list[int], stop: threading.Event,
            writes: Writes, seed: int) -> None:  # fmt: skip
    rng = random.Random(seed)
    with server.client() as c:
        while not stop.is_set():
            chosen = rng.sample(products, rng.randint(1, len(products)))
            body = {
                "customer_id": customer,
                "items": [{"product_id": p, "quantity": rng.randint(1, 3)} for p in chosen],
            }
            started = time.perf_counter()
            try:
                r = c.post("/api/v1/orders", json=body)
            except httpx.HTTPError as exc:
                with writes.lock:
                    writes.failures.append(repr(exc))
                continue
            elapsed = time.perf_counter() - started
            with writes.lock:
                if r.status_code == 201:
                    writes.acked.append((time.time(), int(r.json()["id"])))
                    writes.latencies.append(elapsed)
                else:
                    writes.failures.append(f"{r.status_code} {r.text[:200]}")


def _setup_erp(server: VigiaProcess) -> tuple[int, list[int]]:
    with server.client() as c:
        r = c.post("/api/v1/customers", json={"name": "Mercado Bom Preço", "document": CPF})
        assert r.status_code == 201, r.text
        customer = int(r.json()["id"])
        products = []
        for n in range(3):
            r = c.post(
                "/api/v1/products",
                json={"sku": f"BK-{n}", "name": f"Produto {n}", "price": "4.50",
                      "stock": INITIAL_STOCK},
            )  # fmt: skip
            assert r.status_code == 201, r.text
            products.append(int(r.json()["id"]))
    return customer, products


def _state_sqlite(backup_file: Path) -> tuple[set[int], dict[int, int], dict[int, int]]:
    with closing(sqlite3.connect(f"{backup_file.as_uri()}?mode=ro", uri=True)) as conn:
        return _state(conn.execute)


def _state(execute: Any) -> tuple[set[int], dict[int, int], dict[int, int]]:
    """(order ids, stock per product, confirmed ordered quantity per product)."""
    orders = {int(r[0]) for r in execute("SELECT id FROM orders").fetchall()}
    stock = {int(r[0]): int(r[1]) for r in execute("SELECT id, stock FROM products").fetchall()}
    ordered = {
        int(r[0]): int(r[1])
        for r in execute(
            "SELECT i.product_id, SUM(i.quantity) FROM order_items i "
            "JOIN orders o ON o.id = i.order_id WHERE o.status = 'confirmed' "
            "GROUP BY i.product_id"
        ).fetchall()
    }
    return orders, stock, ordered


@contextmanager
def _restored_pg(dump: Path) -> Iterator[tuple[set[int], dict[int, int], dict[int, int]]]:
    with postgresql_database() as url:
        name = url.rsplit("/", 1)[1]
        subprocess.run(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
             "-h", "127.0.0.1", "-U", "postgres", "-d", name, str(dump)],
            check=True, capture_output=True,
        )  # fmt: skip
        dsn = PG_ADMIN.replace("dbname=postgres", f"dbname={name}")
        with psycopg.connect(dsn) as conn:
            yield _state(conn.execute)


def _prefill_postgresql(url: str, megabytes: int) -> None:
    name = url.rsplit("/", 1)[1]
    dsn = PG_ADMIN.replace("dbname=postgres", f"dbname={name}")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE ballast AS SELECT g AS id, repeat(md5(g::text), 60) AS t "
            "FROM generate_series(1, %s) g",
            (megabytes * 550,),
        )


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def test_backup_while_four_writers_create_orders(
    backend: str, spawn: Spawner, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    with _database(backend, home) as url:
        env = {"VIGIA_RATE_LIMIT_PER_MINUTE": "0", "VIGIA_LOG_CONSOLE": "false"}
        if url:
            env["VIGIA_DATABASE_URL"] = url
        server = spawn.start("serve", env=env, home=home)
        server.wait_ready()
        customer, products = _setup_erp(server)
        # Make the database big enough that the backup takes a moment.
        if backend == "sqlite":
            add_ballast(home / "vigia.db", 80)
        else:
            _prefill_postgresql(url or "", 40)

        stop = threading.Event()
        writes = Writes()
        threads = [
            threading.Thread(target=_writer, args=(server, customer, products, stop, writes, n))
            for n in range(WRITERS)
        ]
        for t in threads:
            t.start()
        try:
            time.sleep(1.0)  # orders before the backup
            with writes.lock:
                before = {order for _, order in writes.acked}
            result = run_vigia(["backup", "create", "--json"], home, env=env, timeout=110)
            time.sleep(0.3)  # and after it
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        assert result.returncode == 0, result.stderr
        backup = json.loads(result.stdout)

        assert writes.failures == []
        manifest = json.loads(
            (Path(backup["file"]).with_suffix(".json")).read_text(encoding="utf-8")
        )
        started = datetime.fromisoformat(manifest["created_at"]).timestamp()
        finished = datetime.fromisoformat(manifest["finished_at"]).timestamp()
        during = [t for t, _ in writes.acked if started < t < finished]
        assert len(during) >= 5, (len(writes.acked), finished - started)  # really concurrent
        assert before and len(writes.acked) > len(before)
        assert max(writes.latencies) < 5.0

        if backend == "sqlite":
            orders, stock, ordered = _state_sqlite(Path(backup["file"]))
        else:
            with _restored_pg(Path(backup["file"])) as state:
                orders, stock, ordered = state
        assert before <= orders  # every order acknowledged before the backup is in it
        assert set(stock) == set(products)
        for product in products:
            assert stock[product] + ordered.get(product, 0) == INITIAL_STOCK, product
        assert backup["row_counts"]["orders"] == len(orders)


@contextmanager
def _database(backend: str, home: Path) -> Iterator[str | None]:
    if backend == "sqlite":
        yield None
    else:
        with postgresql_database() as url:
            yield url
