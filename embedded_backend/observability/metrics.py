"""The per-app Prometheus registry and the metrics defined on it.

A fresh :class:`Metrics` (and so a fresh ``CollectorRegistry``) is made for every app
instance; nothing is registered on prometheus_client's global ``REGISTRY``.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

# Request latency buckets (seconds): fine below 100 ms, where a LAN ERP should answer.
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
DB_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """Every metric of one app instance, on its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.http_requests_total = Counter(
            "http_requests_total",
            "HTTP requests answered, by method, status and route template.",
            ("method", "status", "route"),
            registry=reg,
        )
        self.http_request_duration_seconds = Histogram(
            "http_request_duration_seconds",
            "Time from receiving a request to the end of its answer, by route template.",
            ("method", "status", "route"),
            buckets=HTTP_BUCKETS,
            registry=reg,
        )
        # Labelled by method only: the route template is known only once routing ran,
        # and the status only at the end, so neither can label a request still running.
        self.http_requests_in_progress = Gauge(
            "http_requests_in_progress",
            "HTTP requests being served right now, by method.",
            ("method",),
            registry=reg,
        )
        self.db_query_duration_seconds = Histogram(
            "db_query_duration_seconds",
            "Time the database took for one statement, by operation.",
            ("operation",),
            buckets=DB_BUCKETS,
            registry=reg,
        )
        self.db_errors_total = Counter(
            "db_errors_total",
            "Database errors raised by the driver, by error type.",
            ("error",),
            registry=reg,
        )
        self.db_slow_queries_total = Counter(
            "db_slow_queries_total",
            "Statements slower than the slow-query threshold.",
            registry=reg,
        )
        # Unlabelled on purpose: they read 0 from the first scrape, and a hit ratio needs
        # no join. The cache (in-process or Redis) increments them.
        self.cache_hits_total = Counter(
            "cache_hits_total", "Cache lookups that found a value.", registry=reg
        )
        self.cache_misses_total = Counter(
            "cache_misses_total", "Cache lookups that found nothing.", registry=reg
        )
        ProcessCollector(registry=reg)  # process_* (Linux /proc; empty elsewhere)
        PlatformCollector(registry=reg)  # python_info
