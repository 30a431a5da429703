"""Per-route rolling window: count, error rate and p50/p95/p99 latency.

Each route template keeps its last ``max_requests`` requests (a bounded deque of
``(end time, seconds, status)``); a summary looks only at those that ended within the
last ``window_s`` seconds. Memory is bounded by ``max_requests`` × the number of route
templates (itself bounded, see ``route_template``).

Percentiles use the nearest-rank method: the p-th percentile of n sorted values is the
value at rank ``ceil(p / 100 × n)`` (1-based). It is always a latency that was actually
measured, and for 1..100 ms gives p50 = 50, p95 = 95, p99 = 99.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Sample = tuple[float, float, int]  # (ended at, perf_counter clock; duration s; status)


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile of already sorted values; ``None`` when there are none."""
    if not sorted_values:
        return None
    if not 0 < p <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {p}")
    rank = math.ceil(p / 100 * len(sorted_values))
    return sorted_values[max(rank, 1) - 1]


@dataclass(frozen=True)
class RouteSummary:
    route: str
    count: int
    server_errors: int
    client_errors: int
    p50_s: float | None
    p95_s: float | None
    p99_s: float | None
    max_s: float | None

    @property
    def error_rate(self) -> float:
        """Share of answers that were server errors (5xx)."""
        return self.server_errors / self.count if self.count else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "count": self.count,
            "errors": self.server_errors,
            "error_rate": round(self.error_rate, 4),
            "client_errors": self.client_errors,
            "client_error_rate": round(self.client_errors / self.count, 4) if self.count else 0.0,
            "p50_ms": _ms(self.p50_s),
            "p95_ms": _ms(self.p95_s),
            "p99_ms": _ms(self.p99_s),
            "max_ms": _ms(self.max_s),
        }


def summarize(route: str, samples: Iterable[Sample]) -> RouteSummary:
    durations: list[float] = []
    server = client = 0
    for _ended, seconds, status in samples:
        durations.append(seconds)
        if status >= 500:
            server += 1
        elif status >= 400:
            client += 1
    durations.sort()
    return RouteSummary(
        route,
        len(durations),
        server,
        client,
        percentile(durations, 50),
        percentile(durations, 95),
        percentile(durations, 99),
        durations[-1] if durations else None,
    )


class PerformanceTracker:
    def __init__(self, window_s: float = 300.0, max_requests: int = 1000) -> None:
        self.window_s = window_s
        self.max_requests = max_requests
        self._routes: dict[str, deque[Sample]] = {}

    def record(self, route: str, seconds: float, status: int, ended: float) -> None:
        samples = self._routes.get(route)
        if samples is None:
            samples = self._routes[route] = deque(maxlen=self.max_requests)
        samples.append((ended, seconds, status))

    def _recent(self, samples: deque[Sample], now: float) -> list[Sample]:
        since = now - self.window_s
        return [s for s in list(samples) if s[0] >= since]

    def routes(self, now: float | None = None) -> list[RouteSummary]:
        """One summary per route seen in the window, busiest first."""
        now = time.perf_counter() if now is None else now
        out = []
        for route, samples in list(self._routes.items()):
            recent = self._recent(samples, now)
            if recent:
                out.append(summarize(route, recent))
        out.sort(key=lambda r: (-r.count, r.route))
        return out

    def overall(self, now: float | None = None) -> RouteSummary:
        """All routes together, over the same window."""
        now = time.perf_counter() if now is None else now
        merged: list[Sample] = []
        for samples in list(self._routes.values()):
            merged.extend(self._recent(samples, now))
        return summarize("*", merged)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)
