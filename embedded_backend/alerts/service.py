"""The background task: every ``metrics_sample_interval_s`` (the metrics sampler's tick)
gather a :class:`Snapshot` from the running app and let the :class:`AlertManager` judge it.
Started and stopped by the lifespan through ``state.services``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import anyio
import psutil

from embedded_backend.alerts.manager import AlertManager
from embedded_backend.alerts.rules import Thresholds
from embedded_backend.alerts.snapshot import Snapshot, backup_age_hours, disk_free_percent
from embedded_backend.backup.folder import backup_folder
from embedded_backend.observability.collectors import pool_snapshot
from embedded_backend.observability.hub import Observability, _sum

log = logging.getLogger(__name__)


class AlertService:
    def __init__(self, hub: Observability) -> None:
        settings = hub.state.settings
        self.hub = hub
        self.interval_s = settings.metrics_sample_interval_s
        self.manager = AlertManager(
            Thresholds.from_settings(settings), history_size=settings.alert_history_size
        )
        self._task: asyncio.Task[None] | None = None
        self._last_db_errors: tuple[float, float] | None = None  # (monotonic, total)

    def snapshot(self) -> Snapshot:
        """Blocking (disk, /proc): call it off the event loop."""
        hub, settings = self.hub, self.hub.state.settings
        overall = hub.performance.overall()
        now = time.monotonic()
        errors = _sum(hub.metrics.db_errors_total, "_total")
        per_min = None
        if self._last_db_errors is not None:
            then, before = self._last_db_errors
            per_min = max(errors - before, 0.0) / max((now - then) / 60, 1e-9)
        self._last_db_errors = (now, errors)
        pool = pool_snapshot(hub.state.db.engine)
        return Snapshot(
            requests=overall.count,
            error_rate=overall.error_rate if overall.count else None,
            p95_ms=None if overall.p95_s is None else overall.p95_s * 1000,
            window_s=hub.performance.window_s,
            db_errors_per_min=per_min,
            pool_utilization=pool.utilization if pool.capacity else None,
            disk_free_percent=disk_free_percent(settings.home),
            memory_percent=psutil.virtual_memory().percent,
            backup_age_hours=backup_age_hours(backup_folder(settings)),
        )

    async def tick(self) -> None:
        self.manager.evaluate(await anyio.to_thread.run_sync(self.snapshot))

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="vigia-alerts")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("could not check the alert rules; trying again in %.0f s",
                              self.interval_s)  # fmt: skip
            await asyncio.sleep(self.interval_s)
