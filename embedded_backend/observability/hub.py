"""One :class:`Observability` per app instance: the registry, the per-route window, the
history sampler, and the plain functions the monitoring API and ``/metrics`` call.

Key metrics (``current_values`` and the history of ``metrics/{name}``) are the names in
:data:`KEY_METRICS`; each is a plain number or ``None`` when not measurable yet.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import psutil
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics import MetricWrapperBase

from embedded_backend.observability.collectors import (
    PoolCollector,
    RouterCollector,
    pool_snapshot,
)
from embedded_backend.observability.db_events import instrument_engine
from embedded_backend.observability.history import MetricHistory, Sampler, Value
from embedded_backend.observability.metrics import Metrics
from embedded_backend.observability.performance import PerformanceTracker
from embedded_backend.observability.route_template import RouteTemplates
from embedded_backend.observability.score import HealthScore, health_score
from embedded_backend.observability.system import ProcessProbe, system_info

if TYPE_CHECKING:
    from embedded_backend.health.service import HealthService
    from embedded_backend.state import AppState

KEY_METRICS: tuple[str, ...] = (
    "health_score",
    "http_requests_total",
    "http_requests_in_progress",
    "http_requests_per_s",
    "http_error_rate",
    "http_p50_ms",
    "http_p95_ms",
    "http_p99_ms",
    "db_queries_total",
    "db_errors_total",
    "db_slow_queries_total",
    "db_pool_checked_out",
    "db_pool_utilization",
    "cache_hits_total",
    "cache_misses_total",
    "routers_up",
    "routers_down",
    "process_cpu_percent",
    "process_rss_bytes",
    "process_threads",
    "system_cpu_percent",
    "system_memory_percent",
)


def _sum(metric: MetricWrapperBase, suffix: str) -> float:
    """Sum of one sample kind (``_total``, ``_count``) over every label set."""
    return sum(
        sample.value
        for family in metric.collect()
        for sample in family.samples
        if sample.name.endswith(suffix)
    )


class Observability:
    def __init__(self, state: AppState, health: HealthService) -> None:
        settings = state.settings
        self.state = state
        self.health = health
        self.metrics = Metrics()
        self.templates = RouteTemplates()
        self.performance = PerformanceTracker(
            settings.performance_window_s, settings.performance_window_requests
        )
        self.history = MetricHistory(settings.metrics_history_size)
        self.probe = ProcessProbe()
        self.sampler = Sampler(
            self.current_values, self.history, settings.metrics_sample_interval_s
        )
        self.metrics.registry.register(PoolCollector(state.db.engine))
        self.metrics.registry.register(RouterCollector(state.routers))
        instrument_engine(state.db.engine, self.metrics, settings.slow_query_s)

    # -- lifespan hooks -------------------------------------------------------
    async def start(self) -> None:
        await self.sampler.start()

    async def stop(self) -> None:
        await self.sampler.stop()

    # -- /metrics -------------------------------------------------------------
    def exposition(self, accept: str) -> tuple[bytes, str]:
        encoder, content_type = choose_encoder(accept)
        return encoder(self.metrics.registry), content_type

    # -- monitoring API -------------------------------------------------------
    def pool(self) -> dict[str, Any]:
        db = self.state.db
        return {"dialect": db.dialect, "url": db.url, **pool_snapshot(db.engine).as_dict()}

    def performance_report(self) -> dict[str, Any]:
        tracker = self.performance
        now = time.perf_counter()
        return {
            "window_s": tracker.window_s,
            "max_requests_per_route": tracker.max_requests,
            "overall": tracker.overall(now).as_dict(),
            "routes": [r.as_dict() for r in tracker.routes(now)],
        }

    def system_info(self) -> dict[str, Any]:
        return system_info(self.probe, self.state.settings.home)

    async def score(self, doc: dict[str, Any] | None = None) -> HealthScore:
        doc = doc if doc is not None else await self.health.report()
        overall = self.performance.overall()
        utilization = pool_snapshot(self.state.db.engine).utilization
        return health_score(doc, overall.error_rate, overall.p95_s, utilization)

    async def detailed_health(self) -> dict[str, Any]:
        doc = await self.health.report()
        status = self.state.db_status
        return {
            **doc,
            "score": (await self.score(doc)).as_dict(),
            "database": {
                "dialect": self.state.db.dialect,
                "url": self.state.db.url,
                "reachable": status.reachable,
                "migrated": status.migrated,
                "revision": status.revision,
                "last_error": status.last_error,
                "last_error_at": status.last_error_at.isoformat() if status.last_error_at else None,
            },
            "pool": self.pool(),
            "routers": [s.as_dict() for s in self.state.routers.statuses],
            "performance": self.performance.overall().as_dict(),
            "uptime_s": round(self.state.uptime_s, 1),
        }

    async def current_values(self) -> dict[str, Value]:
        m = self.metrics
        overall = self.performance.overall()
        window = min(self.performance.window_s, max(self.state.uptime_s, 1e-9))
        pool = pool_snapshot(self.state.db.engine)
        routers = self.state.routers.statuses
        up = sum(1 for s in routers if s.available)
        process_cpu, machine_cpu = self.probe.cpu_percent()
        values: dict[str, Value] = {
            "health_score": (await self.score()).score,
            "http_requests_total": _sum(m.http_requests_total, "_total"),
            "http_requests_in_progress": _sum(m.http_requests_in_progress, "in_progress"),
            "http_requests_per_s": round(overall.count / window, 3),
            "http_error_rate": round(overall.error_rate, 4),
            "http_p50_ms": _ms(overall.p50_s),
            "http_p95_ms": _ms(overall.p95_s),
            "http_p99_ms": _ms(overall.p99_s),
            "db_queries_total": _sum(m.db_query_duration_seconds, "_count"),
            "db_errors_total": _sum(m.db_errors_total, "_total"),
            "db_slow_queries_total": _sum(m.db_slow_queries_total, "_total"),
            "db_pool_checked_out": pool.checked_out,
            "db_pool_utilization": round(pool.utilization, 4),
            "cache_hits_total": _sum(m.cache_hits_total, "_total"),
            "cache_misses_total": _sum(m.cache_misses_total, "_total"),
            "routers_up": up,
            "routers_down": len(routers) - up,
            "process_cpu_percent": process_cpu,
            "process_rss_bytes": self.probe.rss_bytes(),
            "process_threads": self.probe.threads(),
            "system_cpu_percent": machine_cpu,
            "system_memory_percent": psutil.virtual_memory().percent,
        }
        return values


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)
