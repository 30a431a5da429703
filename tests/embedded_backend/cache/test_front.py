"""The cache front: hits/misses, invalidation, the stale-write race, Redis fallback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from embedded_backend.cache import CacheFront, MemoryStore, RedisStore
from embedded_backend.observability.metrics import Metrics
from tests.helpers.redis_server import (
    delete_prefix,
    free_port,
    private_redis,
    shared_redis_url,
    unique_prefix,
)


def front(**kwargs: object) -> CacheFront:
    return CacheFront(MemoryStore(100), **kwargs)  # type: ignore[arg-type]


def test_fetch_hits_misses_and_counters() -> None:
    metrics = Metrics()
    cache = front()
    cache.bind_counters(metrics)
    loads: list[int] = []

    def load() -> dict[str, object]:
        loads.append(1)
        return {"id": 1, "stock": 5}

    assert cache.fetch("products", 1, load) == {"id": 1, "stock": 5}
    assert cache.fetch("products", 1, load) == {"id": 1, "stock": 5}
    assert len(loads) == 1
    text = generate_latest(metrics.registry).decode()
    assert "cache_hits_total 1.0" in text and "cache_misses_total 1.0" in text
    status = cache.status()
    assert status["backend"] == "memory" and status["status"] == "pass"
    assert status["hits"] == 1 and status["misses"] == 1 and status["hit_ratio"] == 0.5


def test_invalidate_drops_the_value() -> None:
    cache = front()
    cache.fetch("products", 1, lambda: {"stock": 5})
    cache.invalidate("products", 1)
    assert cache.fetch("products", 1, lambda: {"stock": 4}) == {"stock": 4}
    assert cache.get("products", 1) == {"stock": 4}


def test_a_read_that_started_before_a_write_cannot_store_its_stale_value() -> None:
    """Deterministic: the 'commit + invalidation' happens while the read is loading."""
    cache = front()

    def stale_load() -> dict[str, int]:
        value = {"stock": 5}  # read from the database before the write committed...
        cache.invalidate("products", 1)  # ...the write commits and invalidates...
        return value  # ...and the read finishes with the old row

    assert cache.fetch("products", 1, stale_load) == {"stock": 5}  # this answer: fine
    assert cache.get("products", 1) is None  # but it was not stored
    assert cache.fetch("products", 1, lambda: {"stock": 4}) == {"stock": 4}
    assert cache.get("products", 1) == {"stock": 4}


def test_tickets_and_clear_refuse_in_flight_stores() -> None:
    cache = front()
    ticket = cache.ticket("products", 7)
    assert cache.set("products", 7, {"v": 1}, ticket) is True
    ticket = cache.ticket("products", 7)
    cache.invalidate("products", 7)
    assert cache.set("products", 7, {"v": 0}, ticket) is False
    ticket = cache.ticket("customers", 3)
    assert cache.clear() >= 0
    assert cache.set("customers", 3, {"v": 0}, ticket) is False
    assert cache.get("customers", 3) is None


def test_race_with_real_threads_never_leaves_a_stale_value() -> None:
    """A writer bumps the 'database' and invalidates; readers fetch concurrently. At the
    end, whatever is cached equals the database."""
    cache = front()
    db = {"stock": 0}
    db_lock = threading.Lock()
    stop = threading.Event()

    def read() -> dict[str, int]:
        with db_lock:
            return dict(db)

    def reader() -> None:
        while not stop.is_set():
            cache.fetch("products", 1, read)

    readers = [threading.Thread(target=reader) for _ in range(4)]
    for t in readers:
        t.start()
    for i in range(1, 500):
        with db_lock:
            db["stock"] = i  # commit
        cache.invalidate("products", 1)  # after the commit
        assert cache.fetch("products", 1, read) == {"stock": i}  # read-your-write
    stop.set()
    for t in readers:
        t.join()
    cached = cache.get("products", 1)
    assert cached is None or cached == db


def test_ttl_zero_turns_caching_off() -> None:
    cache = front(ttl_s=0)
    calls: list[int] = []
    cache.fetch("p", 1, lambda: calls.append(1) or {"x": 1})
    cache.fetch("p", 1, lambda: calls.append(1) or {"x": 1})
    assert len(calls) == 2


@pytest.fixture
def shared_store() -> Iterator[RedisStore]:
    url = shared_redis_url()
    prefix = unique_prefix()
    store = RedisStore(url, prefix, timeout_s=0.5)
    try:
        yield store
    finally:
        store.close()
        delete_prefix(url, prefix)


def test_redis_store_roundtrip_prefix_and_clear(shared_store: RedisStore) -> None:
    other = RedisStore(shared_redis_url(), unique_prefix(), timeout_s=0.5)
    try:
        cache = CacheFront(MemoryStore(10), shared_store)
        assert cache.try_recover() and cache.backend == "redis"
        cache.fetch("products", 1, lambda: {"stock": 3})
        assert shared_store.get("products", "1") == '{"stock":3}'
        assert other.get("products", "1") is None  # another app's prefix: no collision
        assert cache.memory.size() == 0  # served by Redis, not memory
        cache.invalidate("products", 1)
        assert shared_store.get("products", "1") is None
        shared_store.set("products", "2", "x", 60)
        shared_store.set("customers", "2", "x", 60)
        assert shared_store.clear("products") == 1
        assert shared_store.get("customers", "2") == "x"
    finally:
        other.close()


def test_redis_unreachable_falls_back_and_recovers(tmp_path: Path) -> None:
    port = free_port()
    store = RedisStore(f"redis://:secret@127.0.0.1:{port}/0", unique_prefix(), timeout_s=0.3)
    assert "secret" not in store.url
    cache = CacheFront(MemoryStore(10), store)
    try:
        assert cache.try_recover() is False
        assert cache.degraded and cache.backend == "memory"
        status = cache.status()
        assert status["status"] == "warn" and "in-process" in status["output"]
        assert "secret" not in str(status)
        assert cache.fetch("products", 1, lambda: {"stock": 1}) == {"stock": 1}
        assert cache.get("products", 1) == {"stock": 1}  # the in-process store answers
    finally:
        store.close()

    with private_redis(tmp_path) as server:
        store = RedisStore(server.url, unique_prefix(), timeout_s=0.3)
        cache = CacheFront(MemoryStore(10), store)
        try:
            assert cache.try_recover() is True
            cache.fetch("products", 1, lambda: {"stock": 1})
            server.kill()
            # The first call after the outage fails over; no exception reaches the caller.
            assert cache.fetch("products", 1, lambda: {"stock": 2}) == {"stock": 2}
            assert cache.degraded and cache.last_error
            cache.invalidate("products", 1)  # a write during the outage
            server.start()  # same port
            store._client.set(f"{store.prefix}products:1", '{"stock":1}')  # stale leftover
            assert cache.try_recover() is True and cache.backend == "redis"
            assert store.get("products", "1") is None  # leftovers were dropped on recovery
            assert cache.fetch("products", 1, lambda: {"stock": 2}) == {"stock": 2}
        finally:
            store.close()
