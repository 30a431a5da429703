from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from embedded_backend.config import Settings
from embedded_backend.db.database import Database
from embedded_backend.db.urls import is_network_path, parse_database_url
from embedded_backend.errors import ConfigError, UnsupportedDatabase


def _pragma(db: Database, name: str) -> object:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


@pytest.mark.parametrize(("mode", "expected"), [("FULL", 2), ("NORMAL", 1)])
def test_sqlite_pragmas(make_settings: Callable[..., Settings], mode: str, expected: int) -> None:
    db = Database(make_settings(sqlite_synchronous=mode, sqlite_busy_timeout_ms=4321))
    try:
        assert _pragma(db, "journal_mode") == "wal"
        assert _pragma(db, "synchronous") == expected
        assert _pragma(db, "foreign_keys") == 1
        assert _pragma(db, "busy_timeout") == 4321
    finally:
        db.dispose()


def test_write_transactions_take_the_lock_at_begin(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    db = Database(settings)
    other = sqlite3.connect(settings.paths.database, timeout=0, isolation_level=None)
    try:

        def work(session) -> None:  # type: ignore[no-untyped-def]
            session.execute(text("SELECT 1"))  # a read only: BEGIN IMMEDIATE already locked
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")

        db.write(work)
        other.execute("BEGIN IMMEDIATE")  # free again after commit
        other.execute("ROLLBACK")
    finally:
        other.close()
        db.dispose()


def test_read_sessions_do_not_lock(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    db = Database(settings)
    other = sqlite3.connect(settings.paths.database, timeout=0, isolation_level=None)
    try:
        with db.read_session() as session:
            session.execute(text("SELECT 1"))
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
    finally:
        other.close()
        db.dispose()


@pytest.mark.parametrize(
    ("raw", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("mysql://root@h/db", "mysql+pymysql"),
        ("mariadb://root@h/db", "mariadb+pymysql"),
        ("sqlite:///x.db", "sqlite"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
    ],
)
def test_drivers_are_chosen(raw: str, driver: str) -> None:
    assert parse_database_url(raw).drivername == driver


@pytest.mark.parametrize("raw", ["not a url", "oracle://u@h/db", "mongodb://h/db"])
def test_unsupported_urls(raw: str) -> None:
    with pytest.raises(ConfigError):
        parse_database_url(raw)


def test_network_paths_are_refused(make_settings: Callable[..., Settings]) -> None:
    assert is_network_path(Path("//fileserver/share/vigia.db"))
    assert is_network_path(Path("\\\\fileserver\\share\\vigia.db"))
    with pytest.raises(UnsupportedDatabase, match="network share"):
        Database(make_settings(database_url="sqlite://///fileserver/share/vigia.db"))


def test_local_disk_is_not_a_network_path(tmp_path: Path) -> None:
    assert not is_network_path(tmp_path / "vigia.db")
