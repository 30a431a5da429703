"""Counting hits per key in a moving time window, in memory: the rate limits' arithmetic.

Why not the ``limits`` library: its in-memory storage starts a ``threading.Timer`` on a
hit whenever the previous timer has finished, and a thread start costs 0.1-0.6 ms measured
on this project's machine; on the event loop, per request, that is more than the whole
request. This is the moving-window algorithm ``limits`` calls by that name, with a
monotonic clock, no threads, and memory bounded by ``limit`` timestamps per live key.

A key with no hit inside the window is dropped by a sweep that runs at most once per
window, so many one-off keys (e.g. guessed usernames) do not accumulate.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class MovingWindow:
    """At most ``limit`` hits per key in any ``window_s`` seconds.

    Safe to share between the event loop and worker threads (one short lock per call).
    """

    def __init__(
        self, limit: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = clock() + window_s

    def hit(self, key: str) -> float:
        """Count a hit if the key has room: 0.0. If not, nothing is counted and the answer
        is how many seconds until the oldest hit leaves the window."""
        now = self._clock()
        with self._lock:
            hits = self._fresh(key, now)
            if hits is None:
                self._hits[key] = deque((now,), maxlen=self.limit)
                return 0.0
            if len(hits) >= self.limit:
                return hits[0] + self.window_s - now
            hits.append(now)
            return 0.0

    def retry_after(self, key: str) -> float:
        """0.0 if the key has room for one more hit, else the seconds until it has."""
        now = self._clock()
        with self._lock:
            hits = self._fresh(key, now)
            if hits is None or len(hits) < self.limit:
                return 0.0
            return hits[0] + self.window_s - now

    def clear(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)

    def __len__(self) -> int:
        return len(self._hits)

    def _fresh(self, key: str, now: float) -> deque[float] | None:
        """The key's hits inside the window (older ones dropped); the lock is held."""
        if now >= self._next_sweep:
            self._sweep(now)
        hits = self._hits.get(key)
        if hits is None:
            return None
        cutoff = now - self.window_s
        while hits and hits[0] <= cutoff:
            hits.popleft()
        return hits

    def _sweep(self, now: float) -> None:
        cutoff = now - self.window_s
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= cutoff]:
            del self._hits[key]
        self._next_sweep = now + self.window_s


def retry_after_header(seconds: float) -> str:
    """``Retry-After`` in whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(seconds)))
