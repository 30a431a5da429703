"""Startup and shutdown of one app instance.

Startup: load routers (each alone), connect to the database with bounded retry, migrate
to head (an existing schema is backed up first: backup/automatic.py), create the first
admin, audit the settings if they changed (settings_audit.py). If the database is still
unreachable (or that backup fails) when the bound runs out, the server starts anyway,
reports not-ready with the reason and keeps retrying in the background. Shutdown: stop
background work, dispose of the engine.

While the server runs, :func:`probe_open_circuit` pings the database every
``CIRCUIT_PROBE_S`` while its circuit breaker (db/circuit.py) is open. Without it, the
circuit lets a request through as a probe only ``db_circuit_reset_s`` (30 s) after it
opened, so a database that restarted in 2 s still answered 503 for up to 30 s (measured:
27 s after ``pg_ctl start``, tests/faults/test_postgresql.py). One ``SELECT 1`` every 2 s
from one process is no load; its failures do not restart the circuit's timer, and its
first success closes the circuit for everyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator

import anyio
from fastapi import FastAPI

from embedded_backend.backup.automatic import migrate_with_backup
from embedded_backend.bootstrap import ensure_admin_user
from embedded_backend.db.circuit import CircuitOpenError, describe_error
from embedded_backend.errors import DatabaseError
from embedded_backend.settings_audit import record_settings
from embedded_backend.state import AppState, BackgroundService

log = logging.getLogger(__name__)

CIRCUIT_PROBE_S = 2.0  # how often the database is pinged while its circuit is open


def _prepare_database(state: AppState) -> None:
    """Ping, migrate (an upgrade backs up first; a failed backup = no migration), first
    admin, settings audit. Raises on any failure (callers record it), except the settings
    audit, which only logs."""
    state.db.ping(gate=False)  # paced by its own retry loop; a success closes the circuit
    state.db_status.reachable = True
    state.db_status.revision = migrate_with_backup(state.settings, state.db)
    ensure_admin_user(state.db)
    record_settings(state.db, state.settings)
    state.db_status.migrated = True
    state.db_status.last_error = None


async def _try_prepare(state: AppState) -> bool:
    try:
        await anyio.to_thread.run_sync(_prepare_database, state)
    except CircuitOpenError as exc:  # failing fast; the breaker already logged why
        state.db_status.failed(f"circuit open: {exc.last_error}")
        return False
    except DatabaseError as exc:
        state.db_status.failed(str(exc))
        log.error("database cannot be used: %s", exc)
        return False
    except Exception as exc:  # noqa: BLE001 - connection failures come in many types
        state.db_status.failed(describe_error(exc))
        log.warning("database not ready (%s) at %s", state.db_status.last_error, state.db.url)
        return False
    return True


async def connect_with_retry(state: AppState) -> bool:
    deadline = time.monotonic() + state.settings.db_startup_retry_s
    delay = 0.25
    while True:
        if await _try_prepare(state):
            log.info("database ready at %s (schema %s)", state.db.url, state.db_status.revision)
            return True
        if state.stopping or time.monotonic() + delay > deadline:
            return False
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)


async def keep_retrying(state: AppState) -> None:
    while not state.db_status.migrated:
        await asyncio.sleep(state.settings.db_background_retry_s)
        if await _try_prepare(state):
            log.warning("database is reachable again; the backend is ready")


async def probe_open_circuit(state: AppState) -> None:
    """Ping the database while its circuit is open; a success closes it (see above)."""
    while True:
        await asyncio.sleep(CIRCUIT_PROBE_S)
        if state.db.circuit.is_closed or not state.db_status.migrated or state.stopping:
            continue
        try:
            ping = functools.partial(state.db.ping, gate=False)
            await anyio.to_thread.run_sync(ping, abandon_on_cancel=True)
        except Exception as exc:  # noqa: BLE001 - still down; the circuit keeps the reason
            log.debug("database still unreachable (%s)", describe_error(exc))


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    state: AppState = app.state.vigia
    state.routers.load_all(app)
    background: asyncio.Task[None] | None = None
    if not await connect_with_retry(state):
        log.error(
            "database still not ready after %.0f s (%s); serving anyway as not-ready and "
            "retrying every %.0f s",
            state.settings.db_startup_retry_s,
            state.db_status.last_error,
            state.settings.db_background_retry_s,
        )
        background = asyncio.create_task(keep_retrying(state), name="vigia-db-retry")
    state.startup_complete = True
    log.info("backend started (%d routers)", len(state.routers.statuses))
    started: list[BackgroundService] = []
    prober = asyncio.create_task(probe_open_circuit(state), name="vigia-db-circuit-probe")
    try:
        for service in state.services:  # background services (metrics sampler, ...)
            await service.start()
            started.append(service)
        yield
    finally:
        state.stopping = True
        for service in reversed(started):
            await service.stop()
        for task in (prober, background):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        state.db.dispose()
        log.info("backend stopped; database connections closed")
