"""Restoring SQLite backups with the core function (backend stopped, or a Database in
this process standing for the running one): data, the pre-restore backup, maintenance,
refusals that leave the live file untouched, and the audit record."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import event

from embedded_backend.backup import (
    BackupBusy,
    BackupLock,
    BackupNotFound,
    create_backup,
    list_backups,
    record_action,
)
from embedded_backend.backup.errors import RestoreRefused
from embedded_backend.backup.restore import restore_backup
from embedded_backend.config import Settings
from embedded_backend.db.database import Database
from embedded_backend.db.gate import Maintenance
from embedded_backend.db.migrate import SCHEMA_HEAD
from embedded_backend.errors import MaintenanceError
from tests.embedded_backend.backup.conftest import damage_table
from tests.embedded_backend.backup.restoring import (
    add_product,
    indexes,
    leftovers,
    newer_backup,
    older_backup,
    revision,
    skus,
)

SEEDED = ["SKU-0", "SKU-1", "SKU-2"]


def _audit(settings: Settings) -> list[tuple[str, str, str | None, dict[str, object]]]:
    with closing(sqlite3.connect(settings.paths.database)) as conn:
        rows = conn.execute(
            "SELECT actor, action, target, detail FROM audit_log "
            "WHERE action = 'backup.restore' ORDER BY id"
        ).fetchall()
    return [(a, b, c, json.loads(d)) for a, b, c, d in rows]


def test_restore_with_the_backend_stopped(sqlite_settings: Settings) -> None:
    backup = create_backup(sqlite_settings)
    add_product(sqlite_settings, "AFTER-BACKUP")
    assert skus(sqlite_settings) == sorted([*SEEDED, "AFTER-BACKUP"])
    steps: list[tuple[float, str]] = []

    result = restore_backup(sqlite_settings, backup.id, progress=lambda f, s: steps.append((f, s)))

    assert skus(sqlite_settings) == SEEDED  # written after the backup: gone
    assert result.backup_id == backup.id and result.source == "sqlite"
    assert result.revision_before == result.revision_after == SCHEMA_HEAD
    assert not result.migrated and result.note is None
    assert result.database == str(sqlite_settings.paths.database)
    # The pre-restore backup is a normal, listed backup holding the data from before.
    listing = list_backups(sqlite_settings.paths.backups)
    pre = listing.get(result.pre_restore_backup_id)
    assert pre.trigger == "pre-restore" and str(pre.path) == result.pre_restore_file
    assert pre.manifest.row_counts is not None and pre.manifest.row_counts["products"] == 4
    # Progress: increasing fractions, from the verification to the check.
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions) and 0 < fractions[0] < 0.1
    names = [s for _, s in steps]
    assert names[0] == f"verifying backup {backup.id}"
    assert any("pre-restore backup" in s for s in names)
    assert any(s.startswith("swapping") for s in names) and names[-1].startswith("checking")
    # Nothing is left beside the live file; it is back in WAL mode once opened.
    assert leftovers(sqlite_settings.paths.database) == []
    with closing(sqlite3.connect(sqlite_settings.paths.database)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # Audited in the restored database, with the way back.
    [(actor, _action, target, detail)] = _audit(sqlite_settings)
    assert actor == "cli" and target == backup.id
    assert detail["ok"] is True and detail["pre_restore_backup_id"] == pre.id


def test_a_running_database_is_in_maintenance_during_the_restore(
    sqlite_settings: Settings,
) -> None:
    backup = create_backup(sqlite_settings)
    add_product(sqlite_settings, "AFTER-BACKUP")
    db = Database(sqlite_settings)  # stands for the running backend's
    seen: dict[str, object] = {}

    def observe(_fraction: float, step: str) -> None:
        if step.startswith("making the pre-restore backup"):
            maintenance = db.gate.maintenance
            assert maintenance is not None
            seen["maintenance"] = maintenance.as_dict()
            with pytest.raises(MaintenanceError) as refused:
                db.write(lambda s: None)
            seen["refusal"] = refused.value
            with db.read_session() as session:  # reads still work
                seen["read"] = session.connection().exec_driver_sql("SELECT 1").scalar()

    try:
        with db.read_session() as session:  # a pooled connection that must be let go
            session.connection().exec_driver_sql("SELECT count(*) FROM products").scalar()
        restore_backup(sqlite_settings, backup.id, db=db, actor="ana", progress=observe)
        assert db.gate.mode == "open" and db.gate.maintenance is None
        with db.read_session() as session:  # the same Database reads the restored file
            count = session.connection().exec_driver_sql("SELECT count(*) FROM products")
            assert count.scalar() == 3
        db.write(lambda s: None)  # writes work again
    finally:
        db.dispose()
    assert seen["maintenance"] == {**seen["maintenance"], "backup_id": backup.id,  # type: ignore[dict-item]
                                   "actor": "ana", "phase": "writes_blocked"}  # fmt: skip
    refusal = seen["refusal"]
    assert isinstance(refusal, MaintenanceError) and refusal.retry_after_s > 0
    assert f"restoring backup {backup.id}" in str(refusal)
    assert seen["read"] == 1
    assert _audit(sqlite_settings)[-1][0] == "ana"


def test_a_corrupt_backup_is_refused_and_nothing_changes(sqlite_settings: Settings) -> None:
    backup = create_backup(sqlite_settings)
    damage_table(backup.path, "products")
    add_product(sqlite_settings, "AFTER-BACKUP")
    live = sqlite_settings.paths.database
    db = Database(sqlite_settings)
    try:
        with pytest.raises(RestoreRefused) as refused:
            restore_backup(sqlite_settings, backup.id, db=db)
        assert db.gate.mode == "open" and db.gate.maintenance is None  # never entered
    finally:
        db.dispose()
    message = str(refused.value)
    assert f"backup {backup.id} is corrupt" in message and "database is unchanged" in message
    assert skus(sqlite_settings) == sorted([*SEEDED, "AFTER-BACKUP"])
    assert [b.trigger for b in list_backups(sqlite_settings.paths.backups).backups] == []
    assert leftovers(live) == []
    [(_actor, _action, target, detail)] = _audit(sqlite_settings)
    assert target == backup.id and detail["ok"] is False and "corrupt" in str(detail["error"])


def test_a_backup_of_a_newer_schema_is_refused(
    sqlite_settings: Settings, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    other = make_settings(database_url=f"sqlite:///{tmp_path / 'newer.db'}")
    backup = newer_backup(sqlite_settings, other)
    assert backup.manifest.schema_revision == "9999"
    with pytest.raises(RestoreRefused) as refused:
        restore_backup(sqlite_settings, backup.id)

    message = str(refused.value)
    assert f"backup {backup.id} was made by Vigia" in message
    assert f"newer database schema (revision 9999; this Vigia knows up to {SCHEMA_HEAD})" in (
        message
    )
    assert message.endswith("Nothing was changed")
    assert skus(sqlite_settings) == SEEDED and revision(sqlite_settings) == SCHEMA_HEAD
    assert [b.id for b in list_backups(sqlite_settings.paths.backups).backups] == [backup.id]


def test_a_backup_of_an_older_schema_is_migrated_to_head(
    sqlite_settings: Settings, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    other = make_settings(database_url=f"sqlite:///{tmp_path / 'older.db'}")
    backup = older_backup(sqlite_settings, other)
    assert backup.manifest.schema_revision == "0001" != SCHEMA_HEAD
    assert "ix_audit_log_action_id" not in indexes(other, "audit_log")

    result = restore_backup(sqlite_settings, backup.id)

    assert result.migrated and result.revision_before == "0001"
    assert revision(sqlite_settings) == SCHEMA_HEAD
    assert "ix_audit_log_action_id" in indexes(sqlite_settings, "audit_log")
    assert skus(sqlite_settings) == ["OLD-1"]
    assert leftovers(sqlite_settings.paths.database) == []


def test_another_program_holding_the_file_is_refused(sqlite_settings: Settings) -> None:
    backup = create_backup(sqlite_settings)
    add_product(sqlite_settings, "AFTER-BACKUP")
    holder = sqlite3.connect(sqlite_settings.paths.database)
    try:
        holder.execute("SELECT count(*) FROM products").fetchone()  # open, idle
        with pytest.raises(RestoreRefused, match="another program has the database"):
            restore_backup(sqlite_settings, backup.id)
        assert holder.execute("SELECT count(*) FROM products").fetchone()[0] == 4
    finally:
        holder.close()
    assert skus(sqlite_settings) == sorted([*SEEDED, "AFTER-BACKUP"])
    assert leftovers(sqlite_settings.paths.database) == []
    # The pre-restore backup was made (it is harmless) before the swap was refused.
    triggers = [b.trigger for b in list_backups(sqlite_settings.paths.backups).backups]
    assert triggers == ["pre-restore", "manual"]


def test_open_requests_are_waited_for_then_the_restore_gives_up(
    sqlite_settings: Settings,
) -> None:
    backup = create_backup(sqlite_settings)
    db = Database(sqlite_settings)
    session = db.new_read_session()  # a request that does not finish
    try:
        session.connection()
        with pytest.raises(RestoreRefused, match=r"1 request\(s\) still using the database"):
            restore_backup(sqlite_settings, backup.id, db=db, drain_timeout_s=0.3)
        assert db.gate.mode == "open"
        assert session.connection().exec_driver_sql("SELECT count(*) FROM products").scalar()
    finally:
        session.close()
        db.dispose()
    assert leftovers(sqlite_settings.paths.database) == []


def test_unknown_backup_and_busy_folder(sqlite_settings: Settings) -> None:
    with pytest.raises(BackupNotFound):
        restore_backup(sqlite_settings, "20200101-000000-abcd")
    backup = create_backup(sqlite_settings)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with BackupLock(sqlite_settings.paths.backups, "create a backup"):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        held.wait(30)
        with pytest.raises(BackupBusy, match="cannot restore backup"):
            restore_backup(sqlite_settings, backup.id, lock_wait_s=0)
    finally:
        release.set()
        thread.join()


def test_a_damaged_live_database_is_kept_aside_and_replaced(sqlite_settings: Settings) -> None:
    """The bad day: the live file is damaged, so it cannot be backed up; the restore
    still puts the good backup in place, and keeps the damaged file instead."""
    backup = create_backup(sqlite_settings)
    live = sqlite_settings.paths.database
    damage_table(live, "products")
    damaged = live.read_bytes()

    result = restore_backup(sqlite_settings, backup.id)

    assert result.pre_restore_backup_id is None and result.pre_restore_file is None
    assert result.replaced_kept is not None
    kept = Path(result.replaced_kept)
    assert kept.parent == live.parent and kept.name.startswith("vigia.db.replaced-")
    # Every page as it was; only the 100-byte file header changed (taking the file over
    # switched it out of WAL: journal-mode bytes, change counter).
    assert kept.read_bytes()[100:] == damaged[100:]
    assert skus(sqlite_settings) == SEEDED
    with closing(sqlite3.connect(live)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    [(_actor, _action, _target, detail)] = _audit(sqlite_settings)
    assert detail["ok"] is True and detail["replaced_kept"] == str(kept)


def test_an_audit_during_the_swap_does_not_open_the_database(sqlite_settings: Settings) -> None:
    """E.g. the scheduled backup, refused because a restore holds the lock, audits that:
    during the swap this must not open the file being replaced."""
    db = Database(sqlite_settings)
    connects: list[object] = []
    event.listen(db.engine, "connect", lambda *args: connects.append(args))
    try:
        db.gate.begin_maintenance(Maintenance("restoring backup X", "X"))
        assert db.gate.close(timeout_s=5)
        db.engine.dispose()
        assert record_action(db, "vigia", "backup.create", None, {"ok": False}) is False
        assert connects == []
        db.gate.end_maintenance()
        assert record_action(db, "vigia", "backup.create", None, {"ok": False}) is True
    finally:
        db.dispose()
