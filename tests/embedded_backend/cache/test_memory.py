"""The in-process TTL store: expiry, bound, thread safety."""

from __future__ import annotations

import threading

import pytest

from embedded_backend.cache import MemoryStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ttl_expiry() -> None:
    clock = Clock()
    store = MemoryStore(10, clock=clock)
    store.set("products", "1", '{"id":1}', ttl_s=30)
    assert store.get("products", "1") == '{"id":1}'
    clock.now += 29.9
    assert store.get("products", "1") == '{"id":1}'
    clock.now += 0.1
    assert store.get("products", "1") is None
    assert store.size() == 0  # the expired entry was dropped, not kept around


def test_zero_ttl_stores_nothing() -> None:
    store = MemoryStore(10)
    store.set("products", "1", "x", ttl_s=0)
    assert store.get("products", "1") is None


def test_bounded_least_recently_used_goes_first() -> None:
    store = MemoryStore(3)
    for i in range(3):
        store.set("p", str(i), str(i), ttl_s=60)
    assert store.get("p", "0") == "0"  # 0 is now the most recently used
    store.set("p", "3", "3", ttl_s=60)
    assert store.size() == 3
    assert store.get("p", "1") is None  # the least recently used was evicted
    assert [store.get("p", k) for k in ("0", "2", "3")] == ["0", "2", "3"]
    with pytest.raises(ValueError):
        MemoryStore(0)


def test_delete_and_clear_by_namespace() -> None:
    store = MemoryStore(100)
    for ns in ("products", "customers"):
        for i in range(3):
            store.set(ns, str(i), "v", ttl_s=60)
    store.delete("products", "0")
    assert store.get("products", "0") is None
    assert store.clear("products") == 2
    assert store.size() == 3 and store.get("customers", "1") == "v"
    assert store.clear() == 3 and store.size() == 0


def test_thread_safety_under_contention() -> None:
    store = MemoryStore(50)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def hammer(n: int) -> None:
        try:
            start.wait()
            for i in range(3000):
                key = str((n * 7 + i) % 120)
                store.set("p", key, key, ttl_s=60)
                value = store.get("p", key)
                assert value is None or value == key
                if i % 10 == 0:
                    store.delete("p", key)
                if i % 500 == 0:
                    store.clear("p")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.size() <= 50
