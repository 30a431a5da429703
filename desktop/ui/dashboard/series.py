"""The numbers behind the dashboard's graph and cards, without Qt.

Ranges: the last 15 minutes come from the poller's in-memory samples (one point per
poll); 1 hour and 24 hours from the history's per-minute buckets, 7 days from its hourly
buckets (the mean of each bucket is drawn at the bucket's middle).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np

from desktop.core.history import HistoryStore, Resolution
from desktop.core.samples import Sample

FLOOR_MS = 0.01  # the graph's y axis is logarithmic: 0 ms is drawn as this


class Span(Enum):
    MIN15 = (15 * 60, None)
    HOUR = (3600, Resolution.MINUTE)
    DAY = (86400, Resolution.MINUTE)
    WEEK = (7 * 86400, Resolution.HOUR)

    @property
    def seconds(self) -> int:
        return int(self.value[0])

    @property
    def resolution(self) -> Resolution | None:
        """None: raw samples from memory."""
        resolution: Resolution | None = self.value[1]
        return resolution


@dataclass(frozen=True)
class Series:
    """x: Unix seconds; y: milliseconds (NaN where there is no value: a gap)."""

    x: list[float]
    y: list[float]

    def __len__(self) -> int:
        return len(self.x)


def _ms(value: float | None) -> float:
    return math.nan if value is None else max(value, FLOOR_MS)


def from_samples(samples: Sequence[Sample]) -> tuple[Series, Series]:
    """(response time, database time) of each poll; a poll without an answer is a gap."""
    x = [s.at for s in samples]
    latency = [_ms(s.latency_ms) if s.answered else math.nan for s in samples]
    database = [_ms(s.db_ms) for s in samples]
    return Series(x, latency), Series(list(x), database)


def from_history(history: HistoryStore, span: Span, now: float) -> tuple[Series, Series]:
    resolution = span.resolution
    assert resolution is not None
    since = now - span.seconds
    out: list[Series] = []
    for metric in ("latency_ms", "db_ms"):
        points = history.series(metric, resolution, since)
        half = int(resolution) / 2
        out.append(Series([p.start + half for p in points], [_ms(p.mean) for p in points]))
    return out[0], out[1]


@dataclass(frozen=True)
class DatabaseFigures:
    status: str  # pass | fail | unknown
    now_ms: float | None
    avg_ms: float | None
    output: str | None


def database_figures(samples: Sequence[Sample]) -> DatabaseFigures:
    """The database card: its status and latency in the latest answer, and the average
    over ``samples`` (the last hour)."""
    answered = [s for s in samples if s.answered]
    if not answered:
        return DatabaseFigures("unknown", None, None, None)
    latest = answered[-1]
    check = latest.checks.get("database:responseTime")
    values = [v for s in answered if (v := s.db_ms) is not None]
    return DatabaseFigures(
        check.status if check is not None else "unknown",
        latest.db_ms,
        sum(values) / len(values) if values else None,
        check.output if check is not None else None,
    )


def decimate(series: Series, buckets: int) -> Series:
    """At most ``2 * buckets`` points that look the same on a graph ``buckets`` pixels wide.

    The series is cut into ``buckets`` runs of consecutive points; each run is drawn as its
    lowest and its highest point, in time order (so every spike stays visible), and a run
    without any value as one gap. A series that short already is returned as it is.
    Drawing 86,400 antialiased points costs pyqtgraph seconds; about 2,000 cost
    milliseconds (tests/perf/bench_tray.py measures both).
    """
    n = len(series)
    if buckets < 1 or n <= 2 * buckets:
        return series
    per = math.ceil(n / buckets)
    rows = math.ceil(n / per)  # every row starts inside the series
    y = np.full(rows * per, np.nan)
    y[:n] = np.asarray(series.y, dtype=float)
    grid = y.reshape(rows, per)
    gap = np.isnan(grid)
    empty = gap.all(axis=1)
    low = np.where(gap, np.inf, grid).argmin(axis=1)
    high = np.where(gap, -np.inf, grid).argmax(axis=1)
    start = np.arange(rows) * per
    first = np.where(empty, 0, np.minimum(low, high)) + start
    second = np.where(empty, 0, np.maximum(low, high)) + start
    index = np.column_stack((first, second)).ravel()
    x = np.asarray(series.x, dtype=float)[index]
    values = y[index]
    return Series(x.tolist(), values.tolist())
