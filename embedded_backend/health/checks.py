"""The individual health checks. Each returns (key, [component entries]).

Statuses: ``pass``, ``warn``, ``fail``. The overall status is the worst one; a failed
database or a failed *critical* router makes it ``fail``; a failed non-critical router,
a nearly full disk or a stale backup make it ``warn``.

While a backup is restored (maintenance, db/gate.py) the database check says so: ``warn``
"restoring backup <id>: ..." while reads work (writes answer 503), and ``fail`` without
touching the database during the swap itself (a few seconds at most), so /readyz is 503
exactly while nothing can be served.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

from embedded_backend.backup.folder import backup_folder
from embedded_backend.backup.listing import newest_backup
from embedded_backend.cache.front import FALLBACK_OUTPUT
from embedded_backend.db.circuit import CircuitOpenError, describe_error
from embedded_backend.errors import DatabaseFileError, MaintenanceError
from embedded_backend.logs.setup import log_file_problem
from embedded_backend.state import AppState

Entry = dict[str, Any]
Check = tuple[str, list[Entry]]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


async def database(state: AppState) -> Check:
    entry: Entry = {
        "componentId": state.db.dialect,
        "componentType": "datastore",
        "observedUnit": "ms",
        "time": now_iso(),
    }
    if not state.db_status.migrated and state.db_status.last_error:
        entry.update(
            status="fail",
            observedValue=None,
            output=f"database not ready: {state.db_status.last_error}",
        )
        return "database:responseTime", [entry]
    maintenance = state.maintenance
    if maintenance is not None and maintenance.phase == "swapping":
        entry.update(
            status="fail",
            observedValue=None,
            output=f"{maintenance.reason}: the database is being replaced",
            maintenance=maintenance.as_dict(),
        )
        return "database:responseTime", [entry]
    try:
        with anyio.fail_after(state.settings.health_check_timeout_s):
            latency = await anyio.to_thread.run_sync(_ping, state, abandon_on_cancel=True)
    except DatabaseFileError as exc:  # the SQLite file is gone or replaced
        state.db_status.failed(exc.kind)
        entry.update(status="fail", observedValue=None, output=str(exc))
    except MaintenanceError as exc:  # the swap began meanwhile: not a database failure
        entry.update(status="fail", observedValue=None, output=str(exc))
        entry["retryAfter"] = exc.retry_after_s
    except TimeoutError:
        reason = f"no answer within {state.settings.health_check_timeout_s:g} s"
        state.db_status.failed(reason)
        entry.update(status="fail", observedValue=None, output=f"database {reason}")
    except CircuitOpenError as exc:  # failing fast: no connection was attempted
        reason = f"circuit open: {exc.last_error or 'repeated connection failures'}"
        state.db_status.failed(reason)
        entry.update(status="fail", observedValue=None, output=_unreachable(reason))
        entry["retryAfter"] = int(exc.retry_after_header)
    except Exception as exc:  # noqa: BLE001 - any failure of the probe is the answer
        reason = describe_error(exc)
        state.db_status.failed(reason)
        if not state.db.circuit.is_closed:  # this failure (or the probe's) opened it
            reason = f"circuit open: {reason}"
        entry.update(status="fail", observedValue=None, output=_unreachable(reason))
    else:
        state.db_status.reachable = True
        entry.update(status="pass", observedValue=round(latency, 2))
        writes = await anyio.to_thread.run_sync(state.db.write_health)
        if writes is not None:
            entry.update(status=writes[0], output=writes[1])
        maintenance = state.maintenance
        if maintenance is not None:
            entry.update(
                status="warn",
                output=f"{maintenance.reason}: changes are paused, reading works",
                maintenance=maintenance.as_dict(),
            )
    return "database:responseTime", [entry]


def _ping(state: AppState) -> float:
    """``SELECT 1``; a SQLite file deleted under the server is put back first
    (db/sqlite_file.py)."""
    try:
        return state.db.ping()
    except DatabaseFileError as exc:
        if exc.kind != "deleted":
            raise
    state.db.put_back_deleted()
    return state.db.ping()


def _unreachable(reason: str) -> str:
    """What is wrong, the driver's reason for an administrator, and what to do."""
    return (
        f"database unreachable ({reason}); start the database server or check the network: "
        "the backend reconnects by itself"
    )


def routers(state: AppState) -> Check:
    entries: list[Entry] = []
    for status in state.routers.statuses:
        entry: Entry = {
            "componentId": status.name,
            "componentType": "component",
            "status": "pass",
            "prefix": status.spec.prefix,
        }
        if status.disabled:
            entry.update(status="warn", output="disabled by an administrator")
        elif status.state == "failed":
            entry.update(
                status="fail" if status.spec.critical else "warn",
                output=f"{status.error_type}: {status.error_message}",
                errorType=status.error_type,
            )
        entries.append(entry)
    return "routers:loaded", entries


def uptime(state: AppState) -> Check:
    return "uptime", [
        {
            "componentType": "system",
            "observedValue": round(state.uptime_s),
            "observedUnit": "s",
            "status": "pass",
        }
    ]


def disk(state: AppState) -> Check:
    usage = shutil.disk_usage(_existing(state.settings.home))
    percent = usage.used / usage.total * 100 if usage.total else 0.0
    status = "pass"
    entry: Entry = {
        "componentType": "system",
        "observedValue": round(percent, 1),
        "observedUnit": "percent",
        "freeBytes": usage.free,
    }
    if percent >= state.settings.disk_fail_percent:
        status = "fail"
        entry["output"] = "the disk holding Vigia's data is full; free space now"
    elif percent >= state.settings.disk_warn_percent:
        status = "warn"
        entry["output"] = "the disk holding Vigia's data is almost full"
    entry["status"] = status
    return "disk:utilization", [entry]


def log_file(state: AppState) -> Check:
    """``warn`` while the log file cannot be written (a full disk): serving goes on."""
    problem = log_file_problem()
    entry: Entry = {"componentType": "system", "status": "pass" if problem is None else "warn"}
    if problem is not None:
        entry["output"] = problem
    return "logs:file", [entry]


def backup_age(state: AppState) -> Check:
    """Age of the newest complete, verified backup (a damaged or unfinished one does not
    count; see :mod:`embedded_backend.backup.listing`)."""
    newest = newest_backup(backup_folder(state.settings))
    entry: Entry = {"componentType": "system", "observedUnit": "h"}
    if newest is None:
        entry.update(status="pass", observedValue=None, output="no backup made yet")
    else:
        hours = max((datetime.now(UTC) - newest.created_at).total_seconds(), 0.0) / 3600
        entry["observedValue"] = round(hours, 1)
        stale = hours > state.settings.backup_stale_hours
        entry["status"] = "warn" if stale else "pass"
        if stale:
            entry["output"] = f"the newest backup is {hours / 24:.1f} days old; back up now"
    return "backup:age", [entry]


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def cache(state: AppState) -> Check:
    """``pass`` on the in-process cache or a reachable Redis; ``warn`` while falling back."""
    front = state.cache
    entry: Entry = {
        "componentId": front.backend,
        "componentType": "component",
        "status": "warn" if front.degraded else "pass",
        "time": now_iso(),
    }
    if front.degraded:
        entry["output"] = FALLBACK_OUTPUT + (
            f" ({front.last_error})" if front.last_error else ""
        )
    return "cache:status", [entry]
