"""PostgreSQL backups against the real server: pg_dump -Fc, pg_restore --list, a test
restore into a scratch database; the password only in the tools' environment."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from embedded_backend.backup import (
    BackupFailed,
    DiskFullError,
    ToolMissing,
    create_backup,
    list_backups,
    verify_backup,
)
from embedded_backend.backup.create import sha256_of
from embedded_backend.backup.scratch import PREFIX, scratch_name
from embedded_backend.config import Settings
from embedded_backend.db.migrate import SCHEMA_HEAD
from tests.embedded_backend.backup.conftest import Mount, recording_shim
from tests.helpers.databases import PG_ADMIN

pytestmark = pytest.mark.postgresql


def _scratch_databases() -> list[str]:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{PREFIX}%",)
        ).fetchall()
    return [r[0] for r in rows]


def test_dump_manifest_and_checks(pg_settings: Settings) -> None:
    before = set(_scratch_databases())
    backup = create_backup(pg_settings, "pre-migration")
    assert backup.path.name.endswith(".pgdump")
    assert backup.path.read_bytes()[:5] == b"PGDMP"  # custom format
    m = backup.manifest
    assert m.source == "postgresql" and m.trigger == "pre-migration"
    assert m.schema_revision == SCHEMA_HEAD
    assert m.row_counts is not None
    assert m.row_counts["products"] == 3 and m.row_counts["customers"] == 1
    assert [c.name for c in m.checks] == ["pg_restore --list", "test restore"]
    assert m.tool.startswith("pg_dump (PostgreSQL)")
    assert m.database.startswith("postgresql+psycopg://postgres@127.0.0.1:5432/vigia_t_")
    assert set(_scratch_databases()) == before  # the scratch database was dropped


def test_verify_light_and_deep(pg_settings: Settings) -> None:
    backup = create_backup(pg_settings)
    light = verify_backup(pg_settings, backup.id)
    assert light.ok and [c.name for c in light.checks] == ["size", "sha256", "pg_restore --list"]
    deep = verify_backup(pg_settings, backup.id, deep=True)
    assert deep.ok
    assert [c.name for c in deep.checks][-3:] == ["test restore", "row_counts", "schema_revision"]


def test_truncated_dump(pg_settings: Settings) -> None:
    backup = create_backup(pg_settings)
    with backup.path.open("r+b") as fh:
        fh.truncate(backup.size // 2)
    report = verify_backup(pg_settings, backup.id, deep=True)
    assert not report.ok and report.problem is not None and "is truncated" in report.problem
    assert list_backups(backup.path.parent).backups == ()


def test_damaged_dump_fails_pg_restore_list(pg_settings: Settings) -> None:
    backup = create_backup(pg_settings)
    with backup.path.open("r+b") as fh:
        fh.write(b"NOTADUMP")  # the header pg_restore reads first
    data = json.loads(backup.manifest_path.read_text())
    data["sha256"] = sha256_of(backup.path)  # damaged before the checksum was taken
    backup.manifest_path.write_text(json.dumps(data))
    report = verify_backup(pg_settings, backup.id)
    assert not report.ok
    assert report.problem is not None and "the dump is damaged" in report.problem


def test_password_travels_in_the_environment_only(
    pg_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "S3nha-Secreta-pg-42"
    url = make_url(pg_settings.effective_database_url).set(password=secret)
    settings = pg_settings.model_copy(update={"database_url": url.render_as_string(False)})
    shims = tmp_path / "shims"
    dump_log = recording_shim(shims, "pg_dump")
    restore_log = recording_shim(shims, "pg_restore")
    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PGPASSWORD", "inherited-must-not-be-used")
    caplog.set_level(logging.DEBUG)

    backup = create_backup(settings)  # trust auth: the server ignores the password

    for log in (dump_log, restore_log):
        argv = Path(f"{log}.argv").read_text()
        env = Path(f"{log}.env").read_text()
        assert secret not in argv
        assert f"PGPASSWORD={secret}" in env and "inherited-must-not-be-used" not in env
    assert secret not in backup.manifest_path.read_text()
    assert secret not in caplog.text


def test_pg_dump_missing_from_path(
    pg_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(ToolMissing) as err:
        create_backup(pg_settings)
    message = str(err.value)
    assert message.startswith("pg_dump was not found on PATH")
    assert "apt-get install postgresql-client" in message and "on Windows" in message
    assert not list(pg_settings.paths.backups.glob("*vigia-2*"))


def test_unreachable_server_is_a_clear_error(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(database_url="postgresql://postgres:hunter2@127.0.0.1:1/nothing")
    with pytest.raises(BackupFailed, match="cannot reach the PostgreSQL database") as err:
        create_backup(settings)
    assert "hunter2" not in str(err.value)


def test_disk_full_during_the_dump(pg_settings: Settings, mount_tmpfs: Mount) -> None:
    """A real ENOSPC from pg_dump half-way (its size is unknown in advance)."""
    dsn = make_url(pg_settings.effective_database_url)
    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname=dsn.database, autocommit=True
    ) as conn:  # ~6 MB of barely compressible text
        conn.execute(
            "CREATE TABLE ballast AS SELECT g AS id, "
            "(SELECT string_agg(md5(random()::text || g || s), '') "
            " FROM generate_series(1, 64) s) AS t FROM generate_series(1, 3000) g"
        )
    small = mount_tmpfs("size=1m")
    settings = pg_settings.model_copy(update={"backup_dir": small})
    with pytest.raises(DiskFullError, match="to write the backup"):
        create_backup(settings)
    assert [p.name for p in small.iterdir() if not p.name.startswith(".vigia-backup")] == []


def test_leaked_scratch_databases_are_dropped_after_a_day(pg_settings: Settings) -> None:
    old = scratch_name(datetime.now(UTC) - timedelta(days=2))
    recent = scratch_name(datetime.now(UTC) - timedelta(hours=2))
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        for name in (old, recent):
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        backup = create_backup(pg_settings)  # its test restore cleans up first
        assert backup.manifest.row_counts is not None
        names = set(_scratch_databases())
        assert old not in names and recent in names
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            for name in (old, recent):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
