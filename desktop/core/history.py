"""Health history that survives a restart of the tray: ``$VIGIA_HOME/desktop-history.db``.

Each sample adds to per-minute buckets (kept 24 h) and hourly buckets (kept 30 days) of a
few metrics: ``latency_ms``, ``db_ms``, ``disk_percent``, ``up`` (1 answered, 0 not)
and one ``status_<status>`` count per status. A bucket holds count, sum, min and max, so
merging partial buckets is exact. The current minute is kept in memory and written when
the minute changes (one transaction a minute) and at :meth:`close`; queries include it.

Alert records (:class:`~desktop.core.alerts.AlertRecord`) are kept here too, 30 days.

The history is a convenience: a file that cannot be read is moved aside (and logged) and
a new one started; a write that fails is logged and dropped, never raised to the poller.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from desktop.core.alerts import AlertRecord
from desktop.core.categories import Category
from desktop.core.clock import SYSTEM_CLOCK, Clock
from desktop.core.samples import Sample

log = logging.getLogger(__name__)

HISTORY_FILE = "desktop-history.db"
SCHEMA_VERSION = 1
PRUNE_EVERY_S = 3600.0


class Resolution(IntEnum):
    """Bucket width in seconds."""

    MINUTE = 60
    HOUR = 3600


RETENTION_S = {Resolution.MINUTE: 24 * 3600.0, Resolution.HOUR: 30 * 86400.0}
ALERT_RETENTION_S = 30 * 86400.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS aggregate (
    resolution INTEGER NOT NULL,  -- bucket width, seconds
    bucket INTEGER NOT NULL,      -- bucket start, Unix seconds
    metric TEXT NOT NULL,
    n INTEGER NOT NULL,
    total REAL NOT NULL,
    low REAL NOT NULL,
    high REAL NOT NULL,
    PRIMARY KEY (resolution, metric, bucket)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert (
    id TEXT PRIMARY KEY,
    category TEXT NOT NULL,
    subject TEXT NOT NULL,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    raised_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    resolved_at REAL,
    muted INTEGER NOT NULL,
    resolved_by TEXT
);
CREATE INDEX IF NOT EXISTS alert_raised ON alert (raised_at);
"""

_UPSERT = """
INSERT INTO aggregate (resolution, bucket, metric, n, total, low, high)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (resolution, metric, bucket) DO UPDATE SET
    n = n + excluded.n,
    total = total + excluded.total,
    low = min(low, excluded.low),
    high = max(high, excluded.high)
"""


@dataclass
class Point:
    """One bucket of one metric."""

    start: int  # Unix seconds
    n: int
    total: float
    low: float
    high: float

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else 0.0

    def merge(self, other: Point) -> None:
        self.n += other.n
        self.total += other.total
        self.low = min(self.low, other.low)
        self.high = max(self.high, other.high)


def sample_metrics(sample: Sample) -> dict[str, float]:
    metrics = {"up": 1.0 if sample.answered else 0.0, f"status_{sample.status}": 1.0}
    values = {
        "latency_ms": sample.latency_ms if sample.answered else None,
        "db_ms": sample.db_ms,
        "disk_percent": sample.disk_percent,
    }
    metrics.update({k: v for k, v in values.items() if v is not None})
    return metrics


Key = tuple[Resolution, int, str]


class HistoryStore:
    def __init__(self, path: Path, clock: Clock = SYSTEM_CLOCK) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: dict[Key, Point] = {}
        self._pending_minute: int | None = None
        self._last_prune = float("-inf")
        self._write_failed = False
        self._db = self._open()
        self.prune()

    @classmethod
    def in_home(cls, home: Path, clock: Clock = SYSTEM_CLOCK) -> HistoryStore:
        return cls(home / HISTORY_FILE, clock)

    # -- opening ---------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            aside = self.path.with_name(f"{self.path.name}.broken-{int(self._clock.time())}")
            log.warning(
                "the health history %s cannot be read (%s); it was moved to %s and a new "
                "one started",
                self.path,
                exc,
                aside.name,
            )
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self.path.replace(aside)
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA busy_timeout = 2000")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("integrity check failed")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"written by a newer Vigia (schema {version})")
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            db.close()
            raise
        return db

    # -- samples -----------------------------------------------------------------
    def add(self, sample: Sample) -> None:
        """Count a sample (any thread). Writes to disk when its minute is a new one."""
        minute = int(sample.at // Resolution.MINUTE) * Resolution.MINUTE
        with self._lock:
            if self._pending_minute is not None and minute != self._pending_minute:
                self._flush_locked()
            self._pending_minute = minute
            for metric, value in sample_metrics(sample).items():
                point = Point(0, 1, value, value, value)
                for resolution in Resolution:
                    start = int(sample.at // resolution) * resolution
                    key = (resolution, start, metric)
                    if key in self._pending:
                        self._pending[key].merge(point)
                    else:
                        self._pending[key] = Point(start, 1, value, value, value)
        if self._clock.monotonic() - self._last_prune >= PRUNE_EVERY_S:
            self.prune()

    def flush(self) -> None:
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        pending, self._pending = self._pending, {}
        if not pending:
            return
        rows = [
            (int(res), start, metric, p.n, p.total, p.low, p.high)
            for (res, start, metric), p in pending.items()
        ]
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(_UPSERT, rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._write_error(exc)
        else:
            self._write_failed = False

    def _write_error(self, exc: sqlite3.Error) -> None:
        if not self._write_failed:  # once per run of failures, not every minute
            log.warning("could not write the health history to %s: %s", self.path, exc)
        self._write_failed = True

    def series(
        self, metric: str, resolution: Resolution, since: float, until: float | None = None
    ) -> list[Point]:
        """Buckets of ``metric`` starting in [since, until), oldest first, including the
        ones not yet written."""
        until = float("inf") if until is None else until
        points: dict[int, Point] = {}
        with self._lock:
            try:
                rows = self._db.execute(
                    "SELECT bucket, n, total, low, high FROM aggregate "
                    "WHERE resolution = ? AND metric = ? AND bucket >= ? AND bucket < ? "
                    "ORDER BY bucket",
                    (int(resolution), metric, since // 1, min(until, 2**62)),
                ).fetchall()
            except sqlite3.Error as exc:
                log.warning("could not read the health history %s: %s", self.path, exc)
                rows = []
            for start, n, total, low, high in rows:
                points[start] = Point(start, n, total, low, high)
            for (res, start, name), pending in self._pending.items():
                if res == resolution and name == metric and since <= start < until:
                    if start in points:
                        points[start].merge(pending)
                    else:
                        points[start] = Point(
                            start, pending.n, pending.total, pending.low, pending.high
                        )
        return [points[start] for start in sorted(points)]

    def prune(self, now: float | None = None) -> int:
        """Delete what is older than its retention; returns the rows deleted."""
        now = self._clock.time() if now is None else now
        deleted = 0
        with self._lock:
            self._last_prune = self._clock.monotonic()
            try:
                for resolution, keep in RETENTION_S.items():
                    deleted += self._db.execute(
                        "DELETE FROM aggregate WHERE resolution = ? AND bucket < ?",
                        (int(resolution), now - keep),
                    ).rowcount
                deleted += self._db.execute(
                    "DELETE FROM alert WHERE coalesce(resolved_at, updated_at) < ?",
                    (now - ALERT_RETENTION_S,),
                ).rowcount
            except sqlite3.Error as exc:
                self._write_error(exc)
        if deleted:
            log.debug("pruned %d old rows from the health history", deleted)
        return deleted

    # -- alerts ------------------------------------------------------------------
    def save_alert(self, record: AlertRecord) -> None:
        """Insert or update one alert record (any thread)."""
        row = (
            record.id,
            record.category.value,
            record.subject,
            record.severity,
            record.title,
            record.message,
            record.raised_at,
            record.updated_at,
            record.resolved_at,
            int(record.muted),
            record.resolved_by,
        )
        with self._lock:
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO alert (id, category, subject, severity, title, "
                    "message, raised_at, updated_at, resolved_at, muted, resolved_by) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
            except sqlite3.Error as exc:
                self._write_error(exc)

    def alerts(self, limit: int = 500) -> list[AlertRecord]:
        """The newest ``limit`` alert records, newest first. Records left open by a tray
        that did not close properly are returned closed at their last update."""
        with self._lock:
            try:
                rows = self._db.execute(
                    "SELECT id, category, subject, severity, title, message, raised_at, "
                    "updated_at, resolved_at, muted, resolved_by FROM alert "
                    "ORDER BY raised_at DESC LIMIT ?",
                    (limit,),
                ).fetchall()
            except sqlite3.Error as exc:
                log.warning("could not read the alert history %s: %s", self.path, exc)
                rows = []
        return list(_records(rows))

    def close(self) -> None:
        """Write what is pending and close the file."""
        with self._lock:
            self._flush_locked()
            self._db.close()


def _records(rows: Iterable[tuple[Any, ...]]) -> Iterable[AlertRecord]:
    for row in rows:
        id_, category, subject, severity, title, message, raised, updated, resolved, muted, by = row
        try:
            cat = Category(str(category))
        except ValueError:
            continue  # a category this version does not know
        yield AlertRecord(
            id=str(id_),
            category=cat,
            subject=str(subject),
            severity=str(severity),
            title=str(title),
            message=str(message),
            raised_at=float(raised),
            updated_at=float(updated),
            resolved_at=float(resolved if resolved is not None else updated),
            muted=bool(muted),
            resolved_by=by if resolved is not None else "Vigia stopped unexpectedly",
        )
