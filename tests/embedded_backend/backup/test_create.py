"""Creating backups of a real SQLite file: the files, the manifest, the checks."""

from __future__ import annotations

import json
import sqlite3
import stat
import sys
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from embedded_backend import __version__
from embedded_backend.backup import (
    BackupFailed,
    create_backup,
    list_backups,
    read_manifest,
    verify_backup,
)
from embedded_backend.backup.create import sha256_of
from embedded_backend.backup.folder import backup_folder
from embedded_backend.config import Settings
from embedded_backend.db.migrate import SCHEMA_HEAD


def test_backup_files_and_manifest(sqlite_settings: Settings) -> None:
    before = datetime.now(UTC)
    backup = create_backup(sqlite_settings, "manual")
    folder = sqlite_settings.paths.backups

    assert backup.path.parent == folder and backup.path.name == f"vigia-{backup.id}.sqlite3"
    assert backup.manifest_path == folder / f"vigia-{backup.id}.json"
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(
        [backup.path.name, backup.manifest_path.name]
    )
    if sys.platform != "win32":
        for path in (backup.path, backup.manifest_path):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600

    data = json.loads(backup.manifest_path.read_text(encoding="utf-8"))
    assert data["id"] == backup.id
    assert data["source"] == "sqlite" and data["trigger"] == "manual"
    assert data["schema_revision"] == SCHEMA_HEAD
    assert data["size"] == backup.path.stat().st_size
    assert data["sha256"] == sha256_of(backup.path)
    assert data["integrity"] == "ok" and data["app_version"] == __version__
    assert data["row_counts"]["products"] == 3 and data["row_counts"]["customers"] == 1
    assert data["created_at"].endswith("Z")
    assert before <= datetime.fromisoformat(data["created_at"]) <= datetime.now(UTC)
    assert data["source_size"] > 0 and "sqlite3 backup API" in data["tool"]


def test_the_copy_is_a_single_consistent_file(sqlite_settings: Settings) -> None:
    backup = create_backup(sqlite_settings)
    assert not Path(f"{backup.path}-wal").exists() and not Path(f"{backup.path}-journal").exists()
    with backup.path.open("rb") as fh:
        header = fh.read(20)
    assert header[:16] == b"SQLite format 3\x00"
    assert (header[18], header[19]) == (1, 1)  # rollback journal: no WAL needed to read it
    uri = f"{backup.path.as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT sum(stock) FROM products").fetchone()[0] == 3000


def test_each_trigger_is_recorded(sqlite_settings: Settings) -> None:
    for trigger in ("schedule", "pre-restore", "pre-migration"):
        assert create_backup(sqlite_settings, trigger).trigger == trigger  # type: ignore[arg-type]
    listing = list_backups(backup_folder(sqlite_settings))
    assert sorted(b.trigger for b in listing.backups) == [
        "pre-migration",
        "pre-restore",
        "schedule",
    ]


def test_verify_a_fresh_backup(sqlite_settings: Settings) -> None:
    backup = create_backup(sqlite_settings)
    report = verify_backup(sqlite_settings, backup.id)
    assert report.ok and report.problem is None
    assert [c.name for c in report.checks] == [
        "size",
        "sha256",
        "integrity_check",
        "row_counts",
        "schema_revision",
    ]
    manifest = read_manifest(backup.manifest_path)
    assert manifest.last_verification is not None and manifest.last_verification.ok
    assert manifest.sha256 == backup.manifest.sha256  # only the verification was added


def test_backup_dir_setting(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    from tests.embedded_backend.backup.conftest import seed

    elsewhere = tmp_path / "usb" / "vigia"
    settings = make_settings(backup_dir=elsewhere)
    seed(settings)
    backup = create_backup(settings)
    assert backup.path.parent == elsewhere
    assert backup_folder(make_settings(backup_dir="rel")) == settings.home / "rel"


def test_no_database_yet_is_a_clear_error(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    with pytest.raises(BackupFailed, match=r"there is no database at .* to back up"):
        create_backup(settings)
    assert not settings.paths.database.exists()  # not created by trying
    assert not list(backup_folder(settings).glob("vigia-*"))


def test_in_memory_database_is_refused(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(BackupFailed, match="in-memory"):
        create_backup(make_settings(database_url="sqlite://"))


def test_not_a_database_is_a_clear_error(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    settings.paths.ensure()
    settings.paths.database.write_bytes(b"this is a spreadsheet, not a database" * 100)
    with pytest.raises(BackupFailed, match="cannot read the database"):
        create_backup(settings)
    left = [p.name for p in backup_folder(settings).iterdir()]
    assert not [n for n in left if n.startswith("vigia-") or ".partial" in n], left


def test_damaged_database_fails_the_integrity_check(make_settings: Callable[..., Settings]) -> None:
    from tests.embedded_backend.backup.conftest import damage_table, seed

    settings = make_settings()
    seed(settings, products=400)
    with closing(sqlite3.connect(settings.paths.database)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    damage_table(settings.paths.database, "products")
    with pytest.raises(BackupFailed, match="integrity check"):
        create_backup(settings)
    folder = backup_folder(settings)
    assert list_backups(folder).backups == ()
    assert not [p for p in folder.iterdir() if p.name.startswith((".vigia-2", "vigia-"))]
