"""Startup backs up a database whose schema it is about to upgrade, and does not migrate
when that backup fails.

The older schema is real: a fresh SQLite database upgraded with Alembic to the revision
before head (whatever head is), holding a customer; then a real server starts on it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from embedded_backend.backup import backup_folder, list_backups
from embedded_backend.backup.automatic import backup_before_migration
from embedded_backend.config import Settings
from embedded_backend.db.database import Database
from embedded_backend.db.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    migrate_to_head,
)
from tests.helpers.live import live_server


def _previous_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_revision(head_revision())
    assert head is not None
    if not isinstance(head.down_revision, str):  # None: only one migration; tuple: a merge
        pytest.skip(f"schema head {head.revision} has no single older revision to upgrade from")
    return head.down_revision


def _database_at(settings: Settings, revision: str) -> None:
    """A fresh database upgraded to ``revision`` (not head), with one customer."""
    from alembic import command

    settings.paths.ensure()
    db = Database(settings)
    try:
        config = alembic_config()
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO customers (name, document, document_type, created_at, "
                    "updated_at) VALUES ('Padaria Central', '52998224725', 'cpf', "
                    "'2026-11-20 10:00:00.000000', '2026-11-20 10:00:00.000000')"
                )
            )
    finally:
        db.dispose()


def _revision_in(database: Path) -> str | None:
    with closing(sqlite3.connect(database)) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "alembic_version" not in tables:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return str(row[0]) if row else None


def _revision_of(settings: Settings) -> str | None:
    db = Database(settings)
    try:
        return current_revision(db.engine)
    finally:
        db.dispose()


def test_an_upgrade_is_backed_up_first_then_migrated(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    old = _previous_revision()
    settings = make_settings(database_url=database_url)
    _database_at(settings, old)
    with live_server(settings) as live, live.client() as client:
        assert client.get("/readyz").status_code == 200
        [backup] = list_backups(backup_folder(settings)).backups
        assert backup.trigger == "pre-migration"
        assert backup.manifest.schema_revision == old
        assert backup.manifest.row_counts is not None
        assert backup.manifest.row_counts["customers"] == 1
        assert _revision_of(settings) == head_revision()
        if backup.source == "sqlite":
            assert _revision_in(backup.path) == old  # the copy is the database as it was
        rows = client.get("/api/v1/admin/audit", params={"action": "backup.create"}).json()
        assert rows["total"] == 1
        [row] = rows["items"]
        assert (row["actor"], row["target"]) == ("vigia", backup.id)
        assert row["detail"] == {"ok": True, "trigger": "pre-migration", "size": backup.size,
                                 "source": backup.source}  # fmt: skip
    # the next start finds the schema at head: no second backup
    with live_server(settings) as live, live.client() as client:
        assert client.get("/readyz").status_code == 200
    assert len(list_backups(backup_folder(settings)).backups) == 1


def test_a_fresh_database_gets_no_pre_migration_backup(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings()
    with live_server(settings) as live, live.client() as client:
        assert client.get("/readyz").status_code == 200
    assert _revision_in(settings.paths.database) == head_revision()
    assert list_backups(backup_folder(settings)).backups == ()


def test_when_the_backup_fails_nothing_is_migrated_until_it_works(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    old = _previous_revision()
    blocked = tmp_path / "backups-here"
    blocked.write_text("a file where the backup folder should be")
    settings = make_settings(backup_dir=blocked, db_startup_retry_s=0.5, db_background_retry_s=0.2)
    _database_at(settings, old)
    with live_server(settings) as live, live.client() as client:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        output = answer.json()["checks"]["database:responseTime"][0]["output"]
        assert f"migrated from revision {old} to {head_revision()}" in output
        assert "backup taken first failed" in output
        assert "a file with that name is in the way" in output
        assert _revision_in(settings.paths.database) == old  # untouched
        blocked.unlink()  # the cause is removed: the background retry backs up, migrates
        _wait_ready(client)
        [backup] = list_backups(blocked).backups
        assert (backup.trigger, backup.manifest.schema_revision) == ("pre-migration", old)
        assert _revision_in(settings.paths.database) == head_revision()


def _wait_ready(client: httpx.Client, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "the backend did not become ready"
        time.sleep(0.1)


def test_no_backup_at_head_nor_for_a_schema_newer_than_this_vigia(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings()
    settings.paths.ensure()
    db = Database(settings)
    try:
        assert backup_before_migration(settings, db.engine) is None  # empty: fresh install
        migrate_to_head(db.engine)
        assert backup_before_migration(settings, db.engine) is None  # at head
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'zz_future'"))
        assert backup_before_migration(settings, db.engine) is None  # refused by the migration
    finally:
        db.dispose()
    folder = backup_folder(settings)
    assert not folder.exists() or not any(folder.iterdir())
