"""The numbers the alert rules look at. Each is ``None`` when it cannot be measured yet
(no traffic, no backup, first sample of a rate)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from embedded_backend.backup.listing import newest_backup


@dataclass(frozen=True)
class Snapshot:
    requests: int = 0  # requests in the performance window
    error_rate: float | None = None  # share of 5xx answers in the window (0..1)
    p95_ms: float | None = None  # 95th percentile latency in the window
    window_s: float = 300.0  # length of the performance window
    db_errors_per_min: float | None = None  # database errors since the previous tick
    pool_utilization: float | None = None  # checked-out connections / capacity (0..1)
    disk_free_percent: float | None = None  # free space on the disk holding VIGIA_HOME
    memory_percent: float | None = None  # machine memory in use
    backup_age_hours: float | None = None  # age of the newest finished backup


def disk_free_percent(home: Path) -> float | None:
    path = home
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return None
    return usage.free / usage.total * 100 if usage.total else None


def backup_age_hours(backups: Path) -> float | None:
    """Hours since the newest complete, verified backup in ``backups`` was taken;
    ``None`` without one (damaged or unfinished backups do not count)."""
    newest = newest_backup(backups)
    if newest is None:
        return None
    return max((datetime.now(UTC) - newest.created_at).total_seconds(), 0.0) / 3600
