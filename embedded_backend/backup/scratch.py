"""Scratch databases on the PostgreSQL / MariaDB server, for test restores.

Each is named ``vigia_scratch_<UTC yyyymmddhhmmss>_<12 random hex>`` so two verifications
(on one machine or several) cannot collide, and is always dropped, even when the restore
fails. One left behind by a killed process is dropped by the next verification once it
is a day old (the time is in its name).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from embedded_backend.backup.errors import BackupFailed, ScratchUnavailable

log = logging.getLogger(__name__)

PREFIX = "vigia_scratch_"
_NAME = re.compile(rf"^{PREFIX}(\d{{14}})_[0-9a-f]{{12}}$")
LEAK_AGE = timedelta(days=1)


def scratch_name(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{PREFIX}{now:%Y%m%d%H%M%S}_{secrets.token_hex(6)}"


def engine_for(url: URL, database: str | None = None) -> Engine:
    """A one-connection-at-a-time engine (no pool) on ``url`` or another database of
    the same server."""
    if database is not None:
        url = url.set(database=database)
    args: dict[str, object] = {"connect_timeout": 10}
    if url.get_backend_name() == "postgresql":
        args["application_name"] = "vigia-backup"
    else:
        args["charset"] = "utf8mb4"
    return create_engine(url, poolclass=NullPool, connect_args=args)


def quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


def row_counts(conn: Connection) -> dict[str, int]:
    """Rows in every table of the connection's database (schema ``public`` on PG)."""
    counts: dict[str, int] = {}
    for table in sorted(inspect(conn).get_table_names()):
        sql = f"SELECT count(*) FROM {quote(conn, table)}"  # noqa: S608 - quoted identifier
        counts[table] = int(conn.execute(text(sql)).scalar_one())
    return counts


def schema_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return str(value) if value is not None else None


def _create(admin: Engine, name: str) -> None:
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"CREATE DATABASE {quote(conn, name)}"))
        else:
            conn.execute(text(f"CREATE DATABASE {quote(conn, name)} CHARACTER SET utf8mb4"))


def _drop(admin: Engine, name: str) -> None:
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "postgresql":
            force = " WITH (FORCE)" if (conn.dialect.server_version_info or (0,)) >= (13,) else ""
            conn.execute(text(f"DROP DATABASE IF EXISTS {quote(conn, name)}{force}"))
        else:
            conn.execute(text(f"DROP DATABASE IF EXISTS {quote(conn, name)}"))


def drop_old_databases(
    admin: Engine, like: str, name: re.Pattern[str], what: str, now: datetime | None = None
) -> list[str]:
    """Drop the databases matching ``like`` (SQL LIKE) whose name carries a creation time
    (``name``'s first group, ``%Y%m%d%H%M%S`` UTC) older than :data:`LEAK_AGE`."""
    now = now or datetime.now(UTC)
    with admin.connect() as conn:
        if conn.dialect.name == "postgresql":
            sql = "SELECT datname FROM pg_database WHERE datname LIKE :like"
        else:
            sql = "SHOW DATABASES LIKE :like"
        names = [str(row[0]) for row in conn.execute(text(sql), {"like": like})]
    dropped = []
    for found in names:
        match = name.match(found)
        if not match:
            continue
        made = datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        if now - made > LEAK_AGE:
            _drop(admin, found)
            dropped.append(found)
            log.info("dropped database %s left by an interrupted %s", found, what)
    return dropped


def drop_leaked(admin: Engine, now: datetime | None = None) -> list[str]:
    """Drop scratch databases older than :data:`LEAK_AGE` (left by a killed process)."""
    return drop_old_databases(admin, "vigia\\_scratch\\_%", _NAME, "verification", now)


@contextmanager
def scratch_database(url: URL) -> Iterator[str]:
    """Create an empty scratch database on the server of ``url``; yield its name; drop it."""
    admin = engine_for(url)
    name = scratch_name()
    try:
        try:
            drop_leaked(admin)
            _create(admin, name)
        except SQLAlchemyError as exc:
            orig = getattr(exc, "orig", None) or exc
            raise ScratchUnavailable(
                f"cannot create a scratch database on the server to test the backup "
                f"({type(orig).__name__}: {str(orig).splitlines()[0][:200]}); the database "
                "user needs the right to create databases"
            ) from None
        try:
            yield name
        finally:
            try:
                _drop(admin, name)
            except SQLAlchemyError:
                log.exception("could not drop the scratch database %s; drop it by hand", name)
    finally:
        admin.dispose()


def reason(exc: SQLAlchemyError) -> str:
    """The driver's error, one line: its type and first line of text (no traceback)."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return f"{type(orig).__name__}: {first}"[:300]


def trial_restore(
    url: URL, path: Path, restore_into: Callable[[URL, str, Path], None]
) -> tuple[str | None, dict[str, int]]:
    """Restore ``path`` into a scratch database with ``restore_into``; return (schema
    revision, rows per table)."""
    with scratch_database(url) as name:
        restore_into(url, name, path)
        engine = engine_for(url, name)
        try:
            with engine.connect() as conn:
                return schema_revision(conn), row_counts(conn)
        except SQLAlchemyError as exc:
            raise BackupFailed(f"the test restore cannot be read: {reason(exc)}") from None
        finally:
            engine.dispose()
