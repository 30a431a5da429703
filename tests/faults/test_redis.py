"""Redis killed under a running ``vigia serve`` that caches reads in it, then started again.

The backend's cache front (embedded_backend/cache/front.py) must fall back to its
in-process cache at once (reads and writes keep working, no stale value is served),
health must say ``warn`` in words, and when a ``redis-server`` answers on the same port
again the backend must go back to it by itself (its ping loop, every
``cache_redis_retry_s``, default 5 s). tests/embedded_backend/cache/ covers the front in
process; this is the same fault on real processes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.e2e.process import Spawner, VigiaProcess
from tests.faults.record import FaultRow
from tests.helpers.redis_server import PrivateRedis, private_redis
from tests.helpers.waiting import wait_for

PRODUCTS = 20


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    folder = tmp_path / "redis"
    folder.mkdir()
    with private_redis(folder) as server:
        yield server


def cache_entry(c: httpx.Client) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the health document, its cache:status entry)."""
    r = c.get("/readyz")
    doc: dict[str, Any] = r.json()
    assert r.status_code == 200, r.text  # a cache fallback never makes the backend unready
    return doc, doc["checks"]["cache:status"][0]


def redis_keys(server: PrivateRedis) -> int:
    with contextlib.closing(redis.Redis(port=server.port, socket_timeout=1)) as client:
        return len(list(client.scan_iter(match="vigia:*:products:*")))


def read_all(c: httpx.Client, ids: list[int]) -> dict[int, float]:
    prices: dict[int, float] = {}
    for product_id in ids:
        started = time.monotonic()
        r = c.get(f"/api/v1/products/{product_id}")
        assert r.status_code == 200, r.text
        assert time.monotonic() - started < 5, "a cached read waited on the dead Redis"
        prices[product_id] = float(r.json()["price"])
    return prices


def test_redis_server_killed_and_started_again(
    spawn: Spawner, redis_server: PrivateRedis, fault: Callable[[str], FaultRow]
) -> None:
    row = fault("Redis (the read cache) killed, then started again on the same port")
    vigia: VigiaProcess = spawn.start(
        "serve",
        env={"VIGIA_REDIS_URL": redis_server.url, "VIGIA_RATE_LIMIT_PER_MINUTE": "0"},
    )
    vigia.wait_ready(60)
    with vigia.client() as c:
        ids = []
        for i in range(PRODUCTS):
            product = {"sku": f"RD-{i}", "name": "x", "price": 10 + i, "stock": 5}
            r = c.post("/api/v1/products", json=product)
            assert r.status_code == 201, r.text
            ids.append(int(r.json()["id"]))
        expected = {product_id: float(10 + i) for i, product_id in enumerate(ids)}
        assert read_all(c, ids) == expected  # misses: loaded and stored in Redis
        assert read_all(c, ids) == expected  # hits
        assert redis_keys(redis_server) == PRODUCTS
        _, entry = cache_entry(c)
        assert (entry["status"], entry["componentId"]) == ("pass", "redis")

        redis_server.kill()
        killed = time.monotonic()

        # Reads go on (the first one notices the failure and falls back), and so do writes;
        # a write is never followed by a stale read.
        assert read_all(c, ids) == expected
        writes = 0
        for product_id in ids[: PRODUCTS // 2]:
            r = c.patch(f"/api/v1/products/{product_id}", json={"price": 99})
            assert r.status_code == 200, r.text
            expected[product_id] = 99.0
            writes += 1
        assert read_all(c, ids) == expected
        assert read_all(c, ids) == expected
        status = c.get("/api/v1/monitoring/cache/status").json()
        fallback_s = time.monotonic() - killed
        # Health is cached for health_cache_s (1 s): the next fresh document says warn.
        doc, entry = wait_for(
            lambda: (found := cache_entry(c))[1]["status"] == "warn" and found, 10, "warn"
        )
        assert entry["componentId"] == "memory", entry
        assert doc["status"] == "warn" and "Traceback" not in str(doc)
        assert status["backend"] == "memory" and status["hits"] > 0
        assert status["redis"]["reachable"] is False

        redis_server.start()  # same port
        back = time.monotonic()
        wait_for(lambda: cache_entry(c)[1]["status"] == "pass", 60, "cache:status pass")
        recovered_s = time.monotonic() - back
        _, entry = cache_entry(c)
        assert entry["componentId"] == "redis"
        assert read_all(c, ids) == expected  # loaded from the database, stored in Redis
        assert read_all(c, ids) == expected  # hits in Redis: none of them stale
        assert redis_keys(redis_server) == PRODUCTS
    assert "Traceback" not in vigia.stderr()
    warned = vigia.wait_for_log(lambda rec: "Redis cache unreachable" in rec.get("msg", ""))
    vigia.wait_for_log(lambda rec: "Redis cache reachable again" in rec.get("msg", ""))

    row.sees(f"/readyz (status {doc['status']}): {doc['output']}")
    row.sees(f"log {warned['level']}: {warned['msg']}")
    row.recovered(
        recovered_s,
        "automatic: the first read after the kill fell back to the in-process cache (none "
        f"of {PRODUCTS * 3} reads and {PRODUCTS // 2} writes in the next {fallback_s:.1f} s "
        "failed); back on Redis by itself after its restart (pinged every 5 s)",
    )
    row.lost(
        f"nothing: {PRODUCTS * 6} reads all answered, {writes} price changes during the outage "
        f"all read back fresh, 0 stale values after the switch back"
    )
