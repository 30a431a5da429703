"""Restoring on the real PostgreSQL and MariaDB servers (backend stopped): the swap, the
databases it creates and drops, other connections, older and newer schemas."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pymysql
import pytest
from sqlalchemy.engine import make_url

from embedded_backend.backup import create_backup, list_backups
from embedded_backend.backup.errors import RestoreRefused
from embedded_backend.backup.folder import backup_folder
from embedded_backend.backup.restore import restore_backup
from embedded_backend.config import Settings
from embedded_backend.db.migrate import SCHEMA_HEAD
from tests.embedded_backend.backup.restoring import (
    add_product,
    indexes,
    newer_backup,
    older_backup,
    revision,
    skus,
)
from tests.helpers.databases import PG_ADMIN, mariadb_database, postgresql_database

SEEDED = ["SKU-0", "SKU-1", "SKU-2"]


def _maria() -> pymysql.Connection:  # type: ignore[type-arg]
    return pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)


def _restore_databases(backend: str) -> list[str]:
    """Databases a restore creates (vigia_restoring_*, vigia_replaced_*) still there."""
    if backend == "postgresql":
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'vigia\\_re%'"
            ).fetchall()
        return [r[0] for r in rows]
    conn = _maria()
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW DATABASES LIKE 'vigia\\_re%'")
            return [r[0] for r in cur.fetchall()]
    finally:
        conn.close()


@pytest.fixture(params=["postgresql", "mariadb"])
def backend(request: pytest.FixtureRequest) -> str:
    request.applymarker(getattr(pytest.mark, request.param))
    return str(request.param)


@pytest.fixture
def server_settings(backend: str, request: pytest.FixtureRequest) -> Settings:
    fixture = "pg_settings" if backend == "postgresql" else "maria_settings"
    settings: Settings = request.getfixturevalue(fixture)
    return settings


@pytest.fixture
def other_database(backend: str) -> Iterator[str]:
    make = postgresql_database if backend == "postgresql" else mariadb_database
    with make() as url:
        yield url


def test_restore_swaps_in_the_backup(backend: str, server_settings: Settings) -> None:
    before = set(_restore_databases(backend))
    backup = create_backup(server_settings)
    add_product(server_settings, "AFTER-BACKUP")

    result = restore_backup(server_settings, backup.id)

    assert skus(server_settings) == SEEDED
    assert result.source == backend and result.note is None
    assert make_url(server_settings.effective_database_url).database in result.database
    pre = list_backups(backup_folder(server_settings)).get(result.pre_restore_backup_id)
    assert pre.trigger == "pre-restore"
    assert pre.manifest.row_counts is not None and pre.manifest.row_counts["products"] == 4
    assert set(_restore_databases(backend)) == before  # the replaced one was dropped
    add_product(server_settings, "AFTER-RESTORE")  # the restored database takes writes


def test_a_backup_of_an_older_schema_is_migrated(
    server_settings: Settings, make_settings: Callable[..., Settings], other_database: str
) -> None:
    backup = older_backup(server_settings, make_settings(database_url=other_database))
    assert backup.manifest.schema_revision == "0001"
    result = restore_backup(server_settings, backup.id)
    assert result.migrated
    assert revision(server_settings) == SCHEMA_HEAD
    assert "ix_audit_log_action_id" in indexes(server_settings, "audit_log")
    assert skus(server_settings) == ["OLD-1"]


def test_a_backup_of_a_newer_schema_is_refused(
    backend: str,
    server_settings: Settings,
    make_settings: Callable[..., Settings],
    other_database: str,
) -> None:
    before = set(_restore_databases(backend))
    backup = newer_backup(server_settings, make_settings(database_url=other_database))
    with pytest.raises(RestoreRefused, match=r"newer database schema \(revision 9999"):
        restore_backup(server_settings, backup.id)
    assert skus(server_settings) == SEEDED
    assert set(_restore_databases(backend)) == before  # nothing was even created


def test_a_sqlite_backup_is_refused_on_a_server(
    server_settings: Settings, sqlite_settings: Settings
) -> None:
    sqlite_backup = create_backup(
        sqlite_settings.model_copy(update={"backup_dir": backup_folder(server_settings)})
    )
    with pytest.raises(RestoreRefused, match="is a sqlite backup, and this Vigia uses a"):
        restore_backup(server_settings, sqlite_backup.id)
    assert skus(server_settings) == SEEDED


@pytest.mark.postgresql
def test_postgresql_terminates_other_sessions_of_the_user(pg_settings: Settings) -> None:
    backup = create_backup(pg_settings)
    add_product(pg_settings, "AFTER-BACKUP")
    name = make_url(pg_settings.effective_database_url).database
    other = psycopg.connect(host="127.0.0.1", user="postgres", dbname=name, autocommit=True)
    try:
        assert other.execute("SELECT count(*) FROM products").fetchone() == (4,)
        restore_backup(pg_settings, backup.id)
        with pytest.raises(psycopg.OperationalError):
            other.execute("SELECT 1")  # it was on the database that was replaced
    finally:
        other.close()
    assert skus(pg_settings) == SEEDED


@pytest.mark.mariadb
def test_mariadb_connections_see_the_restored_tables(maria_settings: Settings) -> None:
    backup = create_backup(maria_settings)
    add_product(maria_settings, "AFTER-BACKUP")
    name = make_url(maria_settings.effective_database_url).database
    other = _maria()
    try:
        other.select_db(name)
        with other.cursor() as cur:
            cur.execute("SELECT count(*) FROM products")
            assert cur.fetchone() == (4,)
        restore_backup(maria_settings, backup.id)
        with other.cursor() as cur:  # same connection, same database name, new tables
            cur.execute("SELECT count(*) FROM products")
            assert cur.fetchone() == (3,)
    finally:
        other.close()


@pytest.mark.postgresql
def test_postgresql_keeps_the_old_database_when_it_cannot_be_backed_up(
    pg_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = create_backup(pg_settings)
    add_product(pg_settings, "AFTER-BACKUP")
    broken = tmp_path / "broken-bin"
    broken.mkdir()
    (broken / "pg_dump").write_text("#!/bin/sh\necho 'pg_dump: error: simulated' >&2\nexit 1\n")
    (broken / "pg_dump").chmod(0o755)
    monkeypatch.setenv("PATH", f"{broken}{os.pathsep}{os.environ['PATH']}")

    result = restore_backup(pg_settings, backup.id)

    assert result.pre_restore_backup_id is None
    assert result.replaced_kept is not None
    [kept] = [n for n in _restore_databases("postgresql") if n in result.replaced_kept]
    try:
        assert skus(pg_settings) == SEEDED
        with psycopg.connect(host="127.0.0.1", user="postgres", dbname=kept) as conn:
            assert conn.execute("SELECT count(*) FROM products").fetchone() == (4,)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{kept}" WITH (FORCE)')
