"""Values read at scrape time: the connection pool and the routers.

Nothing here runs per request; Prometheus (or the monitoring API) pays for the read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from embedded_backend.routers.registry import RouterRegistry


@dataclass(frozen=True)
class PoolSnapshot:
    """The pool right now. ``capacity`` = size + max overflow (0 when unbounded/unknown)."""

    pool_class: str
    size: int
    checked_in: int
    checked_out: int
    overflow: int
    max_overflow: int
    capacity: int

    @property
    def utilization(self) -> float:
        """Checked-out connections as a share of the most the pool will hand out."""
        return self.checked_out / self.capacity if self.capacity else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "utilization": round(self.utilization, 4)}


def pool_snapshot(engine: Engine) -> PoolSnapshot:
    pool: Any = engine.pool
    size = _int_or_zero(pool, "size")
    # QueuePool counts overflow from -size upwards; only the part above size is overflow.
    overflow = max(0, _int_or_zero(pool, "overflow"))
    max_overflow = max(0, int(getattr(pool, "_max_overflow", 0)))
    return PoolSnapshot(
        pool_class=type(pool).__name__,
        size=size,
        checked_in=_int_or_zero(pool, "checkedin"),
        checked_out=_int_or_zero(pool, "checkedout"),
        overflow=overflow,
        max_overflow=max_overflow,
        capacity=size + max_overflow if size else 0,
    )


def _int_or_zero(pool: Any, method: str) -> int:
    reader = getattr(pool, method, None)  # NullPool/StaticPool have none of these
    return int(reader()) if callable(reader) else 0


class PoolCollector(Collector):
    """``db_pool_size``, ``db_pool_checked_out``, ``db_pool_checked_in``,
    ``db_pool_overflow``, ``db_pool_max_overflow``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield from self._families(None)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._families(pool_snapshot(self.engine))

    @staticmethod
    def _families(snap: PoolSnapshot | None) -> Iterator[GaugeMetricFamily]:
        for name, doc in (
            ("size", "Connections the pool keeps open."),
            ("checked_out", "Connections in use by requests right now."),
            ("checked_in", "Idle connections waiting in the pool."),
            ("overflow", "Connections open beyond the pool size right now."),
            ("max_overflow", "Most connections the pool may open beyond its size."),
        ):
            family = GaugeMetricFamily(f"db_pool_{name}", doc)
            if snap is not None:
                family.add_metric([], float(getattr(snap, name)))
            yield family


class RouterCollector(Collector):
    """``backend_router_up{router}``: 1 while a router serves, 0 when failed or disabled."""

    def __init__(self, routers: RouterRegistry) -> None:
        self.routers = routers

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield self._family()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = self._family()
        for status in self.routers.statuses:
            family.add_metric([status.name], 1.0 if status.available else 0.0)
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "backend_router_up",
            "1 while the router serves requests; 0 when it failed to load or is disabled.",
            labels=["router"],
        )
