"""Engine factory: one code path for SQLite, PostgreSQL (psycopg 3) and MariaDB (PyMySQL).

SQLite gets WAL, ``synchronous`` from settings (FULL by default: an acknowledged order
survives a power cut), ``foreign_keys=ON`` and ``busy_timeout``. The driver's own
transaction handling is switched off so that Vigia emits ``BEGIN`` itself: read sessions
use a deferred ``BEGIN``, write sessions ``BEGIN IMMEDIATE`` (the write lock is taken at
the start, so a transaction never fails half-way on a lock upgrade).

Two things guard the file itself (see db/sqlite_file.py): each connection remembers the
identity (device, inode) of the file it opened, so a write can notice that the path now
names another file or none; and once the database has been opened, later connections
open it with ``mode=rw``, so a deleted file is never silently re-created empty.
A write may pass ``BUSY_OPTION`` (milliseconds) to wait less than ``busy_timeout``
for the lock: what is left of its own deadline.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.pool import ConnectionPoolEntry

from embedded_backend.config import Settings
from embedded_backend.db.sqlite_file import file_id
from embedded_backend.db.urls import check_sqlite_location, parse_database_url, sqlite_file
from embedded_backend.errors import UnsupportedDatabase

log = logging.getLogger(__name__)

BEGIN_OPTION = "vigia_begin"
BUSY_OPTION = "vigia_busy_ms"
FILE_ID = "vigia_file_id"  # key in a pooled connection's ``info``: (st_dev, st_ino)
_BUSY_NOW = "vigia_busy_now"  # the busy_timeout this connection has now


def create_db_engine(settings: Settings, url: URL | str | None = None) -> Engine:
    parsed = parse_database_url(str(url) if url else settings.effective_database_url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, settings)
    kwargs: dict[str, Any] = {
        "pool_pre_ping": True,
        "pool_recycle": settings.db_pool_recycle_s,
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_pool_size,
        "pool_timeout": settings.db_pool_timeout_s,
    }
    timeout = max(1, int(settings.db_connect_timeout_s))
    if backend == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": timeout, "application_name": "vigia"}
    else:  # mysql / mariadb
        kwargs["connect_args"] = {
            "connect_timeout": timeout,
            "charset": "utf8mb4",
        }
        kwargs["isolation_level"] = "READ COMMITTED"
    return create_engine(parsed, **kwargs)


SQLITE_OVERFLOW = 48  # connections opened on demand beyond db_pool_size (closed when idle)


def _sqlite_engine(url: URL, settings: Settings) -> Engine:
    path = sqlite_file(url)
    if path is not None:
        check_sqlite_location(path)
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        pool_size=settings.db_pool_size,
        # A local file's connections are cheap, and each of the worker threads that run
        # the routes (anyio's 40) may hold one: never make a request wait for a connection
        # (under 64 connections of load, 20 ran out and requests got 503, tests/perf/soak).
        max_overflow=max(settings.db_pool_size, SQLITE_OVERFLOW),
        pool_timeout=settings.db_pool_timeout_s,
        connect_args={"check_same_thread": False, "timeout": settings.db_connect_timeout_s},
    )
    synchronous = settings.sqlite_synchronous
    busy_ms = int(settings.sqlite_busy_timeout_ms)
    opened = [False]

    @event.listens_for(engine, "do_connect")
    def _never_recreate(
        _dialect: Any, _record: ConnectionPoolEntry, cargs: list[Any], cparams: dict[str, Any]
    ) -> None:
        # The first connection may create the file (first start); after that a missing
        # file is a fault to report, not a reason to start over with an empty database.
        if path is not None and opened[0] and path.is_absolute():
            cargs[0] = f"{path.as_uri()}?mode=rw"
            cparams["uri"] = True

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # Vigia emits BEGIN itself (see below)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            record.info[_BUSY_NOW] = busy_ms
            if path is not None:
                mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise UnsupportedDatabase(
                        f"SQLite could not switch {path} to WAL mode (got '{mode}'); "
                        "keep the database on a local disk"
                    )
            cursor.execute(f"PRAGMA synchronous = {synchronous}")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()
        if path is not None:
            record.info[FILE_ID] = file_id(path)
            opened[0] = True

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        busy = int(options.get(BUSY_OPTION, busy_ms))
        info = conn.connection.info
        if info.get(_BUSY_NOW) != busy:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {busy}")
            info[_BUSY_NOW] = busy
        conn.exec_driver_sql(f"BEGIN {options.get(BEGIN_OPTION, 'DEFERRED')}")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def describe(engine: Engine) -> str:
    """The engine's URL for logs and health, with any password hidden."""
    return engine.url.render_as_string(hide_password=True)
