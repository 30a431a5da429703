"""In-process TTL store: bounded, thread-safe, least recently used entries evicted first."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class MemoryStore:
    name = "memory"

    def __init__(self, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        # (namespace, key) -> (expires_at, value); order = least recently used first.
        self._data: OrderedDict[tuple[str, str], tuple[float, str]] = OrderedDict()

    def get(self, namespace: str, key: str) -> str | None:
        k = (namespace, key)
        with self._lock:
            item = self._data.get(k)
            if item is None:
                return None
            if item[0] <= self._clock():
                del self._data[k]
                return None
            self._data.move_to_end(k)
            return item[1]

    def set(self, namespace: str, key: str, value: str, ttl_s: float) -> None:
        if ttl_s <= 0:
            return
        k = (namespace, key)
        with self._lock:
            self._data[k] = (self._clock() + ttl_s, value)
            self._data.move_to_end(k)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def delete(self, namespace: str, key: str) -> None:
        with self._lock:
            self._data.pop((namespace, key), None)

    def clear(self, namespace: str | None = None) -> int:
        with self._lock:
            if namespace is None:
                n = len(self._data)
                self._data.clear()
                return n
            doomed = [k for k in self._data if k[0] == namespace]
            for k in doomed:
                del self._data[k]
            return len(doomed)

    def size(self) -> int:
        with self._lock:
            return len(self._data)
