"""History of the key metrics: the last ``size`` samples per metric, taken every
``interval_s`` seconds by a background asyncio task (started and stopped by the lifespan).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)

Value = float | int | None
Sample = tuple[str, Value]  # (ISO time, value)


class MetricHistory:
    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self._series: dict[str, deque[Sample]] = {}

    def add(self, values: dict[str, Value], at: datetime | None = None) -> None:
        stamp = (at or datetime.now(UTC)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        for name, value in values.items():
            series = self._series.get(name)
            if series is None:
                series = self._series[name] = deque(maxlen=self.size)
            series.append((stamp, value))

    def names(self) -> list[str]:
        return sorted(self._series)

    def get(self, name: str, limit: int | None = None) -> list[dict[str, Any]] | None:
        """Oldest first; ``None`` for a metric never sampled."""
        series = self._series.get(name)
        if series is None:
            return None
        samples = list(series)
        if limit is not None:
            samples = samples[-limit:] if limit > 0 else []
        return [{"time": t, "value": v} for t, v in samples]


class Sampler:
    """Calls ``take()`` at once and then every ``interval_s``; one failure is logged and
    the next round still runs."""

    def __init__(
        self,
        take: Callable[[], Awaitable[dict[str, Value]]],
        history: MetricHistory,
        interval_s: float,
    ) -> None:
        self.take = take
        self.history = history
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="vigia-metrics-sampler")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                self.history.add(await self.take())
            except Exception:
                log.exception(
                    "could not sample the metrics; trying again in %.0f s", self.interval_s
                )
            await asyncio.sleep(self.interval_s)
