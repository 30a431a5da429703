"""The effective settings in the audit log, compared once per start.

There is no API to change settings (they come from the environment, ``vigia.toml`` and
the defaults), so a change is seen when the backend starts: after the schema is migrated,
:func:`record_settings` compares a snapshot of the settings with the one stored last
(the newest ``settings.initial`` or ``settings.change`` row) and, when they differ,
records ``settings.change`` by ``vigia`` with::

    {"changes": {"cache_ttl_s": {"before": 30.0, "after": 5.0}}, "settings": {...}}

``settings`` is the whole new snapshot, so the next start compares against one row. The
very first start records ``settings.initial`` with ``{"settings": {...}}``. An unchanged
restart writes nothing. This costs one small query per start, and a failure is logged
as a warning and never stops the start.

What is recorded is the explicit list :data:`AUDITED` plus the two URLs and the backup
folder, never the whole settings object, so a secret added later cannot leak in by default:

- left out as secrets: ``admin_token``, ``secret_key``;
- the database and Redis URLs are recorded with any password masked (``***``), in the
  user part and in the query string;
- left out as launch mechanics, not behaviour: ``home`` (where this process keeps its
  files), ``log_console``, ``port_retry_s``, ``startup_deadline_s``,
  ``db_startup_retry_s``, ``db_background_retry_s``;
- ``port`` is the configured value (``0`` = pick a free one), never the port bound.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from embedded_backend.config import Settings
from embedded_backend.db.database import Database
from embedded_backend.db.models import AuditLog
from embedded_backend.erp import audit
from embedded_backend.logs.redaction import redact

log = logging.getLogger(__name__)

ACTOR = "vigia"
INITIAL = "settings.initial"
CHANGE = "settings.change"

AUDITED: tuple[str, ...] = (
    # server and routers
    "host",
    "port",
    "routers",
    "log_level",
    "graceful_shutdown_s",
    "docs_enabled",
    # database
    "sqlite_synchronous",
    "sqlite_busy_timeout_ms",
    "db_pool_size",
    "db_pool_timeout_s",
    "db_pool_recycle_s",
    "db_connect_timeout_s",
    "db_write_attempts",
    "db_circuit_failures",
    "db_circuit_reset_s",
    # backups
    "backup_keep_daily",
    "backup_keep_weekly",
    "backup_schedule_enabled",
    "backup_time",
    "backup_startup_delay_s",
    # health and observability
    "health_cache_s",
    "health_check_timeout_s",
    "disk_warn_percent",
    "disk_fail_percent",
    "backup_stale_hours",
    "slow_query_s",
    "metrics_sample_interval_s",
    "metrics_history_size",
    "performance_window_s",
    "performance_window_requests",
    # alerts
    "alert_min_requests",
    "alert_error_rate_warn",
    "alert_error_rate_error",
    "alert_error_rate_critical",
    "alert_p95_ms_warn",
    "alert_p95_ms_error",
    "alert_p95_ms_critical",
    "alert_db_errors_per_min",
    "alert_pool_saturation",
    "alert_disk_free_percent",
    "alert_memory_percent",
    "alert_backup_age_hours",
    "alert_history_size",
    # cache
    "cache_ttl_s",
    "cache_max_entries",
    "cache_redis_timeout_s",
    "cache_redis_retry_s",
    "cache_key_prefix",
    # auth and protection
    "jwt_expire_minutes",
    "auth_cache_s",
    "trusted_hosts",
    "cors_origins",
    "max_body_bytes",
    "rate_limit_per_minute",
    "login_failures_per_minute",
    "proxy_headers",
    "forwarded_allow_ips",
)


def redacted_url(raw: str | None) -> str | None:
    """A database or Redis URL with its password masked wherever it is written."""
    if raw is None:
        return None
    try:
        text = make_url(raw).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a URL)"  # never echo text we could not take apart
    return redact(text)  # ?password=... in the query string, known secrets


def snapshot(settings: Settings) -> dict[str, Any]:
    """The settings the audit log keeps, as plain JSON values."""
    values: dict[str, Any] = {name: getattr(settings, name) for name in AUDITED}
    values["database_url"] = redacted_url(settings.effective_database_url)
    values["redis_url"] = redacted_url(settings.redis_url)
    values["backup_dir"] = None if settings.backup_dir is None else str(settings.backup_dir)
    # Through JSON and back: the stored snapshot compares equal (lists, not tuples).
    loaded: dict[str, Any] = json.loads(json.dumps(values, sort_keys=True))
    return loaded


def _compare_and_record(session: Session, current: dict[str, Any]) -> tuple[str, list[str]]:
    """Record what is needed; return the action ("" for none) and the changed names."""
    detail = session.scalar(
        select(AuditLog.detail)
        .where(AuditLog.action.in_((INITIAL, CHANGE)))
        .order_by(AuditLog.id.desc())
        .limit(1)
    )
    if detail is None:
        audit.record(session, ACTOR, INITIAL, None, {"settings": current})
        return INITIAL, []
    stored = detail.get("settings") if isinstance(detail, dict) else None
    previous: dict[str, Any] = stored if isinstance(stored, dict) else {}
    diff = audit.changes(previous, current)
    if not diff:
        return "", []
    audit.record(session, ACTOR, CHANGE, None, {"changes": diff, "settings": current})
    return CHANGE, sorted(diff)


def record_settings(db: Database, settings: Settings) -> str | None:
    """Record the settings if they changed since the last start (or were never recorded).

    Returns the action recorded, or None (unchanged, or the attempt failed: logged as a
    warning, the start goes on).
    """
    try:
        current = snapshot(settings)
        action, changed = db.write(lambda session: _compare_and_record(session, current))
    except Exception as exc:  # noqa: BLE001 - an edge: the start must not fail over this
        log.warning(
            "could not compare the settings with the audit log (%s: %s); starting anyway",
            type(exc).__name__,
            exc,
        )
        return None
    if action == CHANGE:
        log.info("settings changed since the last start: %s (audited)", ", ".join(changed))
    return action or None
