"""Retention: N daily, M weekly, never the newest, never a recent pre-restore backup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from embedded_backend.backup import (
    Backup,
    Manifest,
    create_backup,
    list_backups,
    plan,
    prune_backups,
    read_manifest,
)
from embedded_backend.backup.manifest import write_manifest
from embedded_backend.config import Settings

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday


def _backup(when: datetime, trigger: str = "schedule", n: int = 0) -> Backup:
    backup_id = f"{when:%Y%m%d-%H%M%S}-{n:04x}"
    manifest = Manifest(
        id=backup_id,
        created_at=when,
        finished_at=when,
        source="sqlite",
        database="x.db",
        schema_revision="0001",
        file=f"vigia-{backup_id}.sqlite3",
        size=1,
        sha256="0" * 64,
        row_counts={},
        integrity="ok",
        app_version="test",
        trigger=trigger,  # type: ignore[arg-type]
        tool="test",
    )
    return Backup(manifest, Path(manifest.file), Path(f"vigia-{backup_id}.json"))


def _kept(backups: list[Backup], daily: int, weekly: int) -> set[str]:
    return {d.backup.id for d in plan(backups, daily, weekly, NOW, tz=UTC) if d.keep}


def test_daily_keeps_the_newest_of_each_of_the_last_n_days() -> None:
    # three backups a day for 20 days
    backups = [
        _backup(NOW - timedelta(days=d, hours=h), n=d * 10 + h)
        for d in range(20)
        for h in (0, 4, 8)
    ]
    kept = _kept(backups, daily=14, weekly=0)
    assert len(kept) == 14
    assert kept == {_backup(NOW - timedelta(days=d), n=d * 10).id for d in range(14)}


def test_weekly_keeps_the_newest_of_each_of_the_last_m_weeks() -> None:
    backups = [_backup(NOW - timedelta(days=d), n=d) for d in range(0, 120)]  # daily, 4 months
    decisions = plan(backups, 0, 8, NOW, tz=UTC)
    kept = [d for d in decisions if d.keep]
    assert len(kept) == 8
    weeks = {d.backup.created_at.isocalendar()[:2] for d in kept}
    assert len(weeks) == 8
    for d in kept:  # each is the newest of its week: a Sunday, or today
        assert d.backup.created_at.weekday() == 6 or d.backup.created_at == NOW


def test_defaults_14_daily_and_8_weekly() -> None:
    backups = [_backup(NOW - timedelta(days=d), n=d) for d in range(0, 120)]
    kept = _kept(backups, 14, 8)
    # 14 days (Nov 10..23); 8 weeks: today and the 7 Sundays before it, of which Nov 22 and
    # Nov 15 are among the 14 days already
    assert len(kept) == 14 + 8 - 3


def test_newest_is_always_kept() -> None:
    backups = [_backup(NOW - timedelta(days=d), n=d) for d in range(5)]
    decisions = plan(backups, 0, 0, NOW, tz=UTC)
    assert [d.backup.id for d in decisions if d.keep] == [backups[0].id]
    assert decisions[0].reasons == ("newest",)


def test_pre_restore_backups_younger_than_30_days_are_kept() -> None:
    young = _backup(NOW - timedelta(days=29), "pre-restore", 1)
    old = _backup(NOW - timedelta(days=31), "pre-restore", 2)
    other = _backup(NOW - timedelta(days=29, hours=1), "manual", 3)
    newest = _backup(NOW, "schedule", 4)
    decisions = {d.backup.id: d for d in plan([young, old, other, newest], 1, 0, NOW, tz=UTC)}
    assert decisions[young.id].reasons == ("pre-restore, under 30 days old",)
    assert not decisions[old.id].keep and not decisions[other.id].keep
    assert decisions[newest.id].keep


def _age(backup: Backup, days: float) -> None:
    when = datetime.now(UTC) - timedelta(days=days)
    manifest = read_manifest(backup.manifest_path)
    write_manifest(
        backup.manifest_path, manifest.model_copy(update={"created_at": when, "finished_at": when})
    )


def test_prune_deletes_files_and_leaves_bad_ones_alone(sqlite_settings: Settings) -> None:
    folder = sqlite_settings.paths.backups
    made = [create_backup(sqlite_settings) for _ in range(4)]
    for n, backup in enumerate(made):
        _age(backup, days=3 * (len(made) - 1 - n))  # 9, 6, 3, 0 days old
    (folder / "vigia-20200101-000000-dead.sqlite3").write_bytes(b"orphan")
    (folder / "notes.txt").write_text("keep me")

    dry = prune_backups(sqlite_settings, keep_daily=2, keep_weekly=0, dry_run=True)
    assert dry.dry_run and {d.backup.id for d in dry.deleted} == {made[0].id, made[1].id}
    assert len(list_backups(folder).backups) == 4  # nothing deleted

    result = prune_backups(sqlite_settings, keep_daily=2, keep_weekly=0)
    assert {d.backup.id for d in result.deleted} == {made[0].id, made[1].id}
    assert [b.id for b in list_backups(folder).backups] == [made[3].id, made[2].id]
    for gone in made[:2]:
        assert not gone.path.exists() and not gone.manifest_path.exists()
    assert (folder / "vigia-20200101-000000-dead.sqlite3").exists()
    assert (folder / "notes.txt").exists()


def test_prune_with_settings_defaults_and_empty_folder(sqlite_settings: Settings) -> None:
    result = prune_backups(sqlite_settings)
    assert result.deleted == () and result.kept == ()
    create_backup(sqlite_settings)
    assert len(prune_backups(sqlite_settings).kept) == 1
