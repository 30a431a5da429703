"""The alert rules. Each is a plain function ``(snapshot, thresholds) -> Finding | None``:
``None`` when all is well (or the number cannot be measured), otherwise the severity, a
message in plain words (what is wrong and what to do; office staff read it) and the
observed value. A threshold of 0 turns its rule off.

Severities, from the thresholds in settings (block ``# Alerts``):

- error rate, p95 latency: ``*_warn`` → warning, ``*_error`` → error, ``*_critical`` →
  critical; judged only once the window holds ``alert_min_requests`` requests, so one
  failed request out of two is not "50 % errors".
- database errors: ``alert_db_errors_per_min`` → error, 10 × that → critical.
- pool saturation: ``alert_pool_saturation`` → warning, every connection in use → error.
- disk free: below ``alert_disk_free_percent`` → warning, below half of it → error,
  below a fifth of it → critical.
- memory: ``alert_memory_percent`` → warning, halfway from there to 100 % → error.
- backup age: older than ``alert_backup_age_hours`` → warning, 3 × that → error. No
  backup at all is not judged here (a fresh install has none; the tray asks for one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, NamedTuple

from embedded_backend.alerts.snapshot import Snapshot
from embedded_backend.config import Settings

Severity = Literal["warning", "error", "critical"]
SEVERITIES: tuple[Severity, ...] = ("warning", "error", "critical")


def rank(severity: Severity) -> int:
    return SEVERITIES.index(severity)


class Finding(NamedTuple):
    severity: Severity
    message: str
    value: float


@dataclass(frozen=True)
class Thresholds:
    min_requests: int = 20
    error_rate_warn: float = 0.05
    error_rate_error: float = 0.10
    error_rate_critical: float = 0.25
    p95_ms_warn: float = 1000.0
    p95_ms_error: float = 2000.0
    p95_ms_critical: float = 5000.0
    db_errors_per_min: float = 5.0
    pool_saturation: float = 0.9
    disk_free_percent: float = 10.0
    memory_percent: float = 90.0
    backup_age_hours: float = 48.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        return cls(
            min_requests=settings.alert_min_requests,
            error_rate_warn=settings.alert_error_rate_warn,
            error_rate_error=settings.alert_error_rate_error,
            error_rate_critical=settings.alert_error_rate_critical,
            p95_ms_warn=settings.alert_p95_ms_warn,
            p95_ms_error=settings.alert_p95_ms_error,
            p95_ms_critical=settings.alert_p95_ms_critical,
            db_errors_per_min=settings.alert_db_errors_per_min,
            pool_saturation=settings.alert_pool_saturation,
            disk_free_percent=settings.alert_disk_free_percent,
            memory_percent=settings.alert_memory_percent,
            backup_age_hours=settings.alert_backup_age_hours,
        )


def _tiered(value: float, warn: float, error: float, critical: float) -> Severity | None:
    """The highest tier whose (non-zero) threshold ``value`` reaches."""
    for severity, limit in (("critical", critical), ("error", error), ("warning", warn)):
        if limit > 0 and value >= limit:
            return severity  # type: ignore[return-value]
    return None


def error_rate(s: Snapshot, t: Thresholds) -> Finding | None:
    if s.error_rate is None or s.requests < max(t.min_requests, 1):
        return None
    severity = _tiered(s.error_rate, t.error_rate_warn, t.error_rate_error, t.error_rate_critical)
    if severity is None:
        return None
    minutes = max(s.window_s / 60, 1)
    return Finding(
        severity,
        f"{s.error_rate * 100:.0f}% of the requests in the last {minutes:.0f} minutes failed "
        "with a server error. If a database alert is raised too, it is the cause: see to it "
        "first (a restart would not help). Otherwise check the backend log for the failing "
        "screen or router; if it keeps happening, restart the backend and call support.",
        round(s.error_rate, 4),
    )


def p95_latency(s: Snapshot, t: Thresholds) -> Finding | None:
    if s.p95_ms is None or s.requests < max(t.min_requests, 1):
        return None
    severity = _tiered(s.p95_ms, t.p95_ms_warn, t.p95_ms_error, t.p95_ms_critical)
    if severity is None:
        return None
    return Finding(
        severity,
        f"The system is slow: 1 request in 20 takes longer than {s.p95_ms / 1000:.1f} seconds. "
        "Close heavy reports or exports if any are running; if it stays slow, restart the "
        "backend and call support.",
        round(s.p95_ms, 1),
    )


def db_errors(s: Snapshot, t: Thresholds) -> Finding | None:
    limit = t.db_errors_per_min
    if s.db_errors_per_min is None or limit <= 0 or s.db_errors_per_min < limit:
        return None
    severity: Severity = "critical" if s.db_errors_per_min >= 10 * limit else "error"
    return Finding(
        severity,
        f"The database is failing: {s.db_errors_per_min:.0f} errors a minute. Check that the "
        "database server is running and reachable; if it is, call support.",
        round(s.db_errors_per_min, 2),
    )


def pool_saturation(s: Snapshot, t: Thresholds) -> Finding | None:
    limit = t.pool_saturation
    if s.pool_utilization is None or limit <= 0 or s.pool_utilization < limit:
        return None
    severity: Severity = "error" if s.pool_utilization >= 1.0 else "warning"
    return Finding(
        severity,
        f"{s.pool_utilization * 100:.0f}% of the database connections are in use, so new "
        "requests may have to wait. Close long-running reports; if it persists, restart the "
        "backend.",
        round(s.pool_utilization, 4),
    )


def disk_free(s: Snapshot, t: Thresholds) -> Finding | None:
    limit = t.disk_free_percent
    if s.disk_free_percent is None or limit <= 0 or s.disk_free_percent >= limit:
        return None
    free = s.disk_free_percent
    severity: Severity = (
        "critical" if free < limit / 5 else "error" if free < limit / 2 else "warning"
    )
    return Finding(
        severity,
        f"The disk holding the ERP data has only {free:.1f}% free space. Delete old files or "
        "old backups, or move them to another disk, before the database stops saving.",
        round(free, 2),
    )


def memory(s: Snapshot, t: Thresholds) -> Finding | None:
    limit = t.memory_percent
    if s.memory_percent is None or limit <= 0 or s.memory_percent < limit:
        return None
    severity: Severity = "error" if s.memory_percent >= (limit + 100) / 2 else "warning"
    return Finding(
        severity,
        f"The computer is using {s.memory_percent:.0f}% of its memory, which slows everything "
        "down. Close programs that are not needed; if it persists, restart the computer "
        "outside office hours.",
        round(s.memory_percent, 1),
    )


def backup_age(s: Snapshot, t: Thresholds) -> Finding | None:
    limit = t.backup_age_hours
    if s.backup_age_hours is None or limit <= 0 or s.backup_age_hours <= limit:
        return None
    severity: Severity = "error" if s.backup_age_hours > 3 * limit else "warning"
    return Finding(
        severity,
        f"The newest backup is {s.backup_age_hours / 24:.1f} days old. Make a backup now "
        "(tray menu: Back up now) and check that scheduled backups are running.",
        round(s.backup_age_hours, 1),
    )


@dataclass(frozen=True)
class Rule:
    name: str
    subject: str
    check: Callable[[Snapshot, Thresholds], Finding | None]


RULES: tuple[Rule, ...] = (
    Rule("error_rate", "http", error_rate),
    Rule("p95_latency", "http", p95_latency),
    Rule("db_errors", "database", db_errors),
    Rule("pool_saturation", "database", pool_saturation),
    Rule("disk_free", "disk", disk_free),
    Rule("memory", "system", memory),
    Rule("backup_age", "backups", backup_age),
)
