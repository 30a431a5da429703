"""The read cache through the API: invalidation on writes (orders change stock), hit/miss
metrics, /api/v1/monitoring/cache/{status,clear}, and Redis killed mid-run."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from embedded_backend.config import Settings
from tests.embedded_backend.api.support import (
    assert_problem,
    make_customer,
    make_product,
    make_user,
)
from tests.helpers.live import LiveServer, live_server
from tests.helpers.redis_server import (
    delete_prefix,
    private_redis,
    shared_redis_url,
    unique_prefix,
)

PRODUCTS = "/api/v1/products"
STATUS = "/api/v1/monitoring/cache/status"
CLEAR = "/api/v1/monitoring/cache/clear"


def _counter(c: httpx.Client, name: str) -> float:
    for line in c.get("/metrics").text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def _reads_follow_writes(c: httpx.Client) -> None:
    product = make_product(c, stock=10)
    pid = product["id"]
    customer = make_customer(c)
    assert c.get(f"{PRODUCTS}/{pid}").json()["stock"] == 10  # now cached
    assert c.get(f"{PRODUCTS}/{pid}").json()["stock"] == 10  # served from the cache

    r = c.post("/api/v1/orders", json={"customer_id": customer["id"], "items": [
        {"product_id": pid, "quantity": 3}]})  # fmt: skip
    assert r.status_code == 201, r.text
    order_id = r.json()["id"]
    assert c.get(f"{PRODUCTS}/{pid}").json()["stock"] == 7  # the order took the stock

    assert c.patch(f"/api/v1/orders/{order_id}", json={"status": "cancelled"}).status_code == 200
    assert c.get(f"{PRODUCTS}/{pid}").json()["stock"] == 10  # cancelling gave it back
    assert c.patch(f"/api/v1/orders/{order_id}", json={"status": "confirmed"}).status_code == 200
    assert c.get(f"{PRODUCTS}/{pid}").json()["stock"] == 7
    assert c.delete(f"/api/v1/orders/{order_id}").status_code == 204
    assert c.get(f"{PRODUCTS}/{pid}").json()["stock"] == 10

    assert c.patch(f"{PRODUCTS}/{pid}", json={"stock": 4}).json()["stock"] == 4
    assert c.get(f"{PRODUCTS}/{pid}").json()["stock"] == 4

    cid = customer["id"]
    assert c.get(f"/api/v1/customers/{cid}").json()["name"] == customer["name"]
    assert c.patch(f"/api/v1/customers/{cid}", json={"name": "Outro"}).status_code == 200
    assert c.get(f"/api/v1/customers/{cid}").json()["name"] == "Outro"

    other = make_product(c, stock=1)
    assert c.get(f"{PRODUCTS}/{other['id']}").status_code == 200
    assert c.delete(f"{PRODUCTS}/{other['id']}").status_code == 204
    assert_problem(c.get(f"{PRODUCTS}/{other['id']}"), 404)


def test_a_read_after_a_write_is_never_stale(server: LiveServer) -> None:
    with server.client() as c:
        hits, misses = _counter(c, "cache_hits_total"), _counter(c, "cache_misses_total")
        _reads_follow_writes(c)
        assert _counter(c, "cache_hits_total") > hits
        assert _counter(c, "cache_misses_total") > misses


def test_cached_answer_equals_the_uncached_one(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        product = make_product(c, price="19.99", stock=2)
        first = c.get(f"{PRODUCTS}/{product['id']}")
        second = c.get(f"{PRODUCTS}/{product['id']}")
        assert first.json() == second.json() == product
        assert second.headers["content-type"] == "application/json"
        assert c.get(STATUS).json()["hits"] >= 1


def test_on_shared_redis_reads_follow_writes(make_settings: Callable[..., Settings]) -> None:
    url, prefix = shared_redis_url(), unique_prefix()
    try:
        settings = make_settings(redis_url=url, cache_key_prefix=prefix)
        with live_server(settings) as live, live.client() as c:
            _reads_follow_writes(c)
            status = c.get(STATUS).json()
            assert status["backend"] == "redis" and status["status"] == "pass"
            assert status["redis"]["prefix"] == prefix and status["redis"]["reachable"]
            assert status["hits"] >= 1
            assert c.post(CLEAR).json()["removed"] >= 1
    finally:
        delete_prefix(url, prefix)


def test_status_and_clear_need_an_admin(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as admin:
        user = make_user(admin, role="staff")
        pid = make_product(admin)["id"]
        admin.get(f"{PRODUCTS}/{pid}")
        status = admin.get(STATUS)
        assert status.status_code == 200
        body = status.json()
        assert body["backend"] == "memory" and body["status"] == "pass"
        assert body["memory_entries"] >= 1 and body["ttl_s"] == 30 and body["redis"] is None
        cleared = admin.post(CLEAR)
        assert cleared.status_code == 200 and cleared.json()["removed"] >= 1
        assert cleared.json()["memory_entries"] == 0
        assert admin.post(CLEAR, params={"namespace": "products"}).status_code == 200
        assert_problem(admin.post(CLEAR, params={"namespace": "../x"}), 422)
    with sqlite_server.client(token=None) as anonymous:
        assert_problem(anonymous.get(STATUS), 401)
        assert_problem(anonymous.post(CLEAR), 401)
    token = sqlite_server.login(user["username"], "s3nha-forte-123")
    with sqlite_server.client(token=token) as staff:
        assert staff.get(f"{PRODUCTS}/{pid}").status_code == 200
        assert_problem(staff.get(STATUS), 403)
        assert_problem(staff.post(CLEAR), 403)


def _wait(what: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.1)


@pytest.fixture
def redis_folder(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "redis"
    folder.mkdir()
    yield folder


def test_redis_killed_mid_run(make_settings: Callable[..., Settings], redis_folder: Path) -> None:
    with private_redis(redis_folder) as redis_server:
        settings = make_settings(
            redis_url=redis_server.url, cache_redis_retry_s=0.3, health_cache_s=0
        )
        with live_server(settings) as live, live.client() as c:
            pid = make_product(c, stock=9)["id"]
            assert c.get(STATUS).json()["backend"] == "redis"
            assert c.get(f"{PRODUCTS}/{pid}").json()["stock"] == 9
            assert c.get("/health").json()["checks"]["cache:status"][0]["status"] == "pass"

            redis_server.kill()
            codes: list[int] = []
            for _ in range(20):  # reads keep answering from the in-process cache/database
                r = c.get(f"{PRODUCTS}/{pid}")
                codes.append(r.status_code)
                assert r.json()["stock"] == 9
            assert c.patch(f"{PRODUCTS}/{pid}", json={"stock": 8}).status_code == 200
            r = c.get(f"{PRODUCTS}/{pid}")
            codes.append(r.status_code)
            assert r.json()["stock"] == 8
            assert set(codes) == {200}

            health = c.get("/health")
            assert health.status_code == 200
            doc = health.json()
            assert doc["status"] == "warn"
            entry = doc["checks"]["cache:status"][0]
            assert entry["status"] == "warn"
            assert entry["output"].startswith("Redis unreachable, using in-process cache")
            assert "Redis unreachable" in doc["output"]
            status = c.get(STATUS).json()
            assert status["backend"] == "memory" and status["status"] == "warn"
            assert status["redis"]["reachable"] is False and status["redis"]["last_error"]

            redis_server.start()  # the same port: the backend comes back to it by itself
            _wait(lambda: c.get(STATUS).json()["backend"] == "redis")
            status = c.get(STATUS).json()
            assert status["status"] == "pass" and status["redis"]["last_recovery"]
            assert c.get("/health").json()["checks"]["cache:status"][0]["status"] == "pass"
            assert c.get(f"{PRODUCTS}/{pid}").json()["stock"] == 8
            assert c.get(f"{PRODUCTS}/{pid}").json()["stock"] == 8
            metrics = c.get("/metrics").text
            assert 'status="5' not in metrics  # no 5xx anywhere in the run
