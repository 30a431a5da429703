"""``verify_backup`` on intact, corrupt and truncated SQLite backups."""

from __future__ import annotations

import json

import pytest

from embedded_backend.backup import (
    BackupNotFound,
    create_backup,
    list_backups,
    read_manifest,
    verify_backup,
)
from embedded_backend.backup.create import sha256_of
from embedded_backend.config import Settings
from tests.embedded_backend.backup.conftest import damage_table


def test_flipped_byte_is_reported_corrupt_and_listed_bad(sqlite_settings: Settings) -> None:
    backup = create_backup(sqlite_settings)
    with backup.path.open("r+b") as fh:  # same size, different contents
        fh.seek(backup.size // 2)
        byte = fh.read(1)
        fh.seek(backup.size // 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    assert [b.id for b in list_backups(backup.path.parent).backups] == [backup.id]  # cheap list

    report = verify_backup(sqlite_settings, backup.id)
    assert not report.ok
    assert report.problem == (
        f"backup {backup.id} is corrupt: the contents changed since the backup was made "
        "(damaged disk, or the file was edited); do not restore it, make a new backup"
    )
    listing = list_backups(backup.path.parent)  # from now on it does not count
    assert listing.backups == ()
    assert "failed verification" in listing.bad[0].reason
    manifest = read_manifest(backup.manifest_path)
    assert manifest.last_verification is not None and not manifest.last_verification.ok


def test_truncated_backup_is_reported_truncated(sqlite_settings: Settings) -> None:
    backup = create_backup(sqlite_settings)
    with backup.path.open("r+b") as fh:
        fh.truncate(4096)
    report = verify_backup(sqlite_settings, backup.id)  # verifiable although listed bad
    assert not report.ok
    assert report.problem is not None
    assert report.problem.startswith(f"backup {backup.id} is truncated: the file is truncated")
    assert [c.name for c in report.checks] == ["size"]


def test_damage_behind_a_matching_checksum_fails_integrity_check(
    sqlite_settings: Settings,
) -> None:
    """A file damaged *before* its checksum was taken: only SQLite's own check sees it."""
    backup = create_backup(sqlite_settings)
    damage_table(backup.path, "products")
    data = json.loads(backup.manifest_path.read_text())
    data["sha256"] = sha256_of(backup.path)
    backup.manifest_path.write_text(json.dumps(data))

    report = verify_backup(sqlite_settings, backup.id)
    assert not report.ok
    failed = [c for c in report.checks if not c.ok]
    assert failed[0].name == "integrity_check"
    assert (
        report.problem is not None
        and "is corrupt: SQLite says the file is damaged" in report.problem
    )


def test_unknown_id(sqlite_settings: Settings) -> None:
    create_backup(sqlite_settings)
    with pytest.raises(BackupNotFound, match="there is no backup 20200101-000000-beef in"):
        verify_backup(sqlite_settings, "20200101-000000-beef")


def test_unreadable_manifest_is_a_failed_report(sqlite_settings: Settings) -> None:
    backup = create_backup(sqlite_settings)
    backup.manifest_path.write_text('{"id": ')
    report = verify_backup(sqlite_settings, backup.id)
    assert not report.ok
    assert report.problem is not None and "cannot be verified" in report.problem
    assert "not valid JSON" in report.problem
