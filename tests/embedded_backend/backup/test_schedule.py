"""The daily backup: next-run arithmetic (DST included), missed-at-startup, retries,
stopping, and real backups with retention and audit through the service.

The service tests run real backups of a real SQLite database in a temp home; only time
is simulated (:class:`FakeTime`: the wall clock moves when the scheduler sleeps), so a
day of scheduling takes milliseconds.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time as systime
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from embedded_backend.backup import (
    Backup,
    BackupLock,
    backup_folder,
    create_backup,
    list_backups,
    read_manifest,
)
from embedded_backend.backup.manifest import write_manifest
from embedded_backend.backup.schedule import (
    BackupScheduler,
    local_at,
    missed_today,
    next_run,
    parse_time,
)
from embedded_backend.config import Settings
from embedded_backend.db.database import Database
from embedded_backend.db.models import AuditLog
from embedded_backend.errors import ConfigError
from tests.embedded_backend.backup.conftest import add_ballast, seed

BERLIN = ZoneInfo("Europe/Berlin")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NOON_30 = time(12, 30)


# -- settings ------------------------------------------------------------------------


def test_defaults(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(backup_schedule_enabled=True)
    assert settings.backup_time == "12:30"
    assert settings.backup_keep_daily == 14
    assert settings.backup_keep_weekly == 8
    assert parse_time(settings.backup_time) == NOON_30


@pytest.mark.parametrize(
    ("given", "stored"), [("07:05", "07:05"), ("7:05", "07:05"), (" 23:59 ", "23:59"),
                          ("00:00", "00:00"), ("12:30:00", "12:30"), (time(6, 45), "06:45")]
)  # fmt: skip
def test_backup_time_accepts_hh_mm(
    make_settings: Callable[..., Settings], given: object, stored: str
) -> None:
    assert make_settings(backup_time=given).backup_time == stored


@pytest.mark.parametrize("given", ["24:00", "12:60", "noon", "1230", "12:30:15", ""])
def test_backup_time_refuses_anything_else(
    make_settings: Callable[..., Settings], given: str
) -> None:
    with pytest.raises(ConfigError, match=r"backup_time.*HH:MM"):
        make_settings(backup_time=given)


def test_backup_time_from_vigia_toml(home: Path) -> None:
    from embedded_backend.config import load_settings

    home.mkdir(parents=True)
    (home / "vigia.toml").write_text('backup_time = "06:15"\nbackup_startup_delay_s = 30\n')
    settings = load_settings(home=home)
    assert (settings.backup_time, settings.backup_startup_delay_s) == ("06:15", 30.0)
    (home / "vigia.toml").write_text("backup_time = 06:15:00\n")  # a TOML time, unquoted
    assert load_settings(home=home).backup_time == "06:15"


# -- next run --------------------------------------------------------------------------


@pytest.mark.parametrize("tz", [UTC, SAO_PAULO, BERLIN], ids=str)
def test_next_run_today_before_the_time_tomorrow_from_it_on(tz: ZoneInfo) -> None:
    day = date(2026, 11, 25)
    at = local_at(day, NOON_30, tz)
    assert at.astimezone(tz).replace(tzinfo=None) == datetime(2026, 11, 25, 12, 30)
    assert next_run(at - timedelta(hours=2), NOON_30, tz) == at
    assert next_run(at - timedelta(microseconds=1), NOON_30, tz) == at
    tomorrow = local_at(day + timedelta(days=1), NOON_30, tz)
    assert next_run(at, NOON_30, tz) == tomorrow  # strictly after: never twice for one slot
    assert next_run(at + timedelta(hours=11), NOON_30, tz) == tomorrow
    assert tomorrow - at == timedelta(days=1)  # no DST change in these zones that night


def test_next_run_in_berlin_across_both_dst_changes() -> None:
    # Spring: Sunday 29 March 2026, 02:00 CET -> 03:00 CEST; that day has 23 hours.
    saturday = datetime(2026, 3, 28, 13, 0, tzinfo=BERLIN)
    run = next_run(saturday, NOON_30, BERLIN)
    assert run.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 3, 29, 12, 30)
    assert run == datetime(2026, 3, 29, 10, 30, tzinfo=UTC)  # CEST = UTC+2
    assert run - saturday == timedelta(hours=22, minutes=30)
    # Autumn: Sunday 25 October 2026, 03:00 CEST -> 02:00 CET; that day has 25 hours.
    saturday = datetime(2026, 10, 24, 13, 0, tzinfo=BERLIN)
    run = next_run(saturday, NOON_30, BERLIN)
    assert run.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 10, 25, 12, 30)
    assert run == datetime(2026, 10, 25, 11, 30, tzinfo=UTC)  # CET = UTC+1
    assert run - saturday == timedelta(hours=24, minutes=30)


def test_a_time_the_clock_skips_runs_after_the_jump_and_a_repeated_one_once() -> None:
    skipped = local_at(date(2026, 3, 29), time(2, 30), BERLIN)  # 02:00-03:00 does not exist
    assert skipped.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 3, 29, 3, 30)
    repeated = local_at(date(2026, 10, 25), time(2, 30), BERLIN)  # 02:00-03:00 happens twice
    assert repeated == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first, in CEST
    # the day after the repeated hour: one run, 25 hours later
    assert next_run(repeated, time(2, 30), BERLIN) - repeated == timedelta(hours=25)


def test_sao_paulo_has_no_dst_now_and_its_old_midnight_jump_is_handled() -> None:
    # Brazil dropped DST in 2019: every day of 2026 is 24 hours at UTC-3.
    day = date(2026, 1, 1)
    runs = [local_at(day + timedelta(days=n), NOON_30, SAO_PAULO) for n in range(366)]
    assert all(b - a == timedelta(days=1) for a, b in itertools.pairwise(runs))
    assert runs[0] == datetime(2026, 1, 1, 15, 30, tzinfo=UTC)
    # On 4 November 2018 its clocks jumped from 00:00 to 01:00: 00:30 did not exist.
    skipped = local_at(date(2018, 11, 4), time(0, 30), SAO_PAULO)
    assert skipped.astimezone(SAO_PAULO).replace(tzinfo=None) == datetime(2018, 11, 4, 1, 30)
    before = datetime(2018, 11, 3, 13, 0, tzinfo=SAO_PAULO)  # UTC-3
    run = next_run(before, NOON_30, SAO_PAULO)  # UTC-2 from the 4th
    assert run - before == timedelta(hours=22, minutes=30)


@pytest.fixture
def machine_tz() -> Iterator[Callable[[str], None]]:
    """Set the machine's local time zone (POSIX: TZ + tzset) for one test."""
    if not hasattr(systime, "tzset"):
        pytest.skip("time.tzset is POSIX only")
    with pytest.MonkeyPatch.context() as mp:

        def use(name: str) -> None:
            mp.setenv("TZ", name)
            systime.tzset()

        yield use
    systime.tzset()


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/Sao_Paulo", "America/New_York"])
def test_machine_local_time_gives_the_same_runs_as_the_zone(
    machine_tz: Callable[[str], None], zone: str
) -> None:
    machine_tz(zone)
    tz = ZoneInfo(zone)
    start = date(2026, 3, 1)
    for n in range(300):  # both DST changes of 2026 (in the zones that have them)
        day = start + timedelta(days=n)
        for at in (NOON_30, time(2, 30), time(0, 30)):
            assert local_at(day, at, None) == local_at(day, at, tz), (day, at)
    now = datetime(2026, 3, 28, 13, 0, tzinfo=tz)
    assert next_run(now, NOON_30) == next_run(now, NOON_30, tz)


# -- missed today ----------------------------------------------------------------------


def test_missed_today() -> None:
    def on(hour: int, minute: int = 0, day: int = 25) -> datetime:
        return datetime(2026, 11, day, hour, minute, tzinfo=SAO_PAULO)

    assert not missed_today(on(12, 29), NOON_30, None, SAO_PAULO)  # not due yet
    assert missed_today(on(12, 30), NOON_30, None, SAO_PAULO)  # due, no backup at all
    assert missed_today(on(18), NOON_30, on(12, 30, day=24), SAO_PAULO)  # yesterday's
    assert not missed_today(on(18), NOON_30, on(12, 31), SAO_PAULO)
    assert not missed_today(on(18), NOON_30, on(8), SAO_PAULO)  # a manual one this morning
    # "today" is the local calendar: 00:30 in Berlin on the 25th is the 24th in UTC
    now = datetime(2026, 11, 25, 1, 0, tzinfo=BERLIN)
    made = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # 00:30 on the 25th in Berlin
    assert not missed_today(now, time(0, 15), made, BERLIN)
    assert missed_today(now, time(0, 15), made - timedelta(hours=1), BERLIN)


# -- the service -------------------------------------------------------------------------


class FakeTime:
    """A wall clock that moves only when the scheduler sleeps, and only up to
    ``horizon``: a sleep that would pass it waits (``parked``) until the test moves it."""

    def __init__(self, start: datetime, horizon: datetime) -> None:
        self.now = start
        self.horizon = horizon
        self.parked = asyncio.Event()
        self._moved = asyncio.Event()

    def clock(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        assert seconds > 0
        target = self.now + timedelta(seconds=seconds)
        while target > self.horizon:
            self._moved.clear()
            self.parked.set()
            await self._moved.wait()
        self.parked.clear()
        self.now = target
        await asyncio.sleep(0)

    async def until_parked(self) -> None:
        await asyncio.wait_for(self.parked.wait(), timeout=60)

    async def move_horizon(self, to: datetime) -> None:
        self.horizon = to
        self.parked.clear()
        self._moved.set()
        await self.until_parked()


def _schedule_settings(make_settings: Callable[..., Settings], **overrides: object) -> Settings:
    values: dict[str, object] = {
        "backup_schedule_enabled": True,
        "backup_time": "08:00",
        "backup_startup_delay_s": 0,
    }
    values.update(overrides)
    settings = make_settings(**values)
    seed(settings)
    return settings


def _scheduler(settings: Settings, db: Database | None, fake: FakeTime) -> BackupScheduler:
    return BackupScheduler(settings, db, clock=fake.clock, sleep=fake.sleep, tz=UTC)


def _audit_rows(settings: Settings, action: str) -> list[AuditLog]:
    db = Database(settings)
    try:
        with db.read_session() as session:
            return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))
    finally:
        db.dispose()


def _made_at(backup: Backup, when: datetime) -> None:
    """Rewrite the manifest as if ``backup`` had been made at ``when``."""
    manifest = read_manifest(backup.manifest_path)
    write_manifest(
        backup.manifest_path, manifest.model_copy(update={"created_at": when, "finished_at": when})
    )


DAY = datetime(2026, 11, 25, tzinfo=UTC)


def test_disabled_schedule_starts_nothing(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()  # the test default: off
    scheduler = BackupScheduler(settings)

    async def go() -> None:
        await scheduler.start()
        assert scheduler._task is None
        await scheduler.stop()

    asyncio.run(go())
    assert not scheduler.attempts
    assert list_backups(backup_folder(settings)).backups == ()


def test_a_missed_backup_is_made_after_the_startup_delay_with_retention_and_one_audit_row(
    make_settings: Callable[..., Settings],
) -> None:
    settings = _schedule_settings(
        make_settings,
        backup_time="00:00",
        backup_startup_delay_s=90,
        backup_keep_daily=2,
        backup_keep_weekly=0,
    )
    # Older backups, dated against the real clock (retention judges by it): 1, 2 and 3
    # days old, and a pre-restore one of 10 days, which retention keeps for 30.
    real_now = datetime.now(UTC)
    old = {}
    for days in (1, 2, 3):
        backup = create_backup(settings, "manual")
        _made_at(backup, real_now - timedelta(days=days))
        old[days] = backup.id
    pre_restore = create_backup(settings, "pre-restore")
    _made_at(pre_restore, real_now - timedelta(days=10))
    # Started at noon of the real date: today's 00:00 passed, the newest backup is older.
    start = datetime.combine(real_now.date(), time(12, 0), UTC)
    fake = FakeTime(start, horizon=start + timedelta(hours=1))
    db = Database(settings)
    scheduler = _scheduler(settings, db, fake)

    async def go() -> None:
        await scheduler.start()
        await fake.until_parked()
        await scheduler.stop()

    try:
        asyncio.run(go())
    finally:
        db.dispose()

    [attempt] = scheduler.attempts
    assert attempt.outcome == "created"
    assert attempt.at == start + timedelta(seconds=90)  # after the startup delay
    assert attempt.next_at == datetime.combine(real_now.date() + timedelta(days=1), time(0), UTC)
    listing = list_backups(backup_folder(settings))
    new = listing.get(attempt.detail)
    assert new.trigger == "schedule"
    assert new.manifest.row_counts is not None and new.manifest.row_counts["products"] == 3
    # retention after it: today's and yesterday's newest, and the pre-restore one
    assert {b.id for b in listing.backups} == {new.id, old[1], pre_restore.id}
    assert not listing.bad and not listing.ignored
    [created] = _audit_rows(settings, "backup.create")  # exactly one: no duplicate
    assert (created.actor, created.target) == ("vigia", new.id)
    assert created.detail == {"ok": True, "trigger": "schedule", "size": new.size,
                              "source": "sqlite"}  # fmt: skip
    [pruned] = _audit_rows(settings, "backup.prune")
    assert pruned.actor == "vigia"
    assert pruned.detail == {"deleted": [old[2], old[3]], "kept": 3}  # newest first


def test_no_backup_at_startup_when_one_was_made_today(
    make_settings: Callable[..., Settings],
) -> None:
    settings = _schedule_settings(make_settings)
    start = DAY.replace(hour=15)
    _made_at(create_backup(settings, "manual"), DAY.replace(hour=7))  # before the 08:00 time
    fake = FakeTime(start, horizon=start + timedelta(hours=12))
    scheduler = _scheduler(settings, None, fake)

    async def go() -> None:
        await scheduler.start()
        await fake.until_parked()
        assert scheduler.next_run_at == DAY.replace(day=26, hour=8)
        await scheduler.stop()

    asyncio.run(go())
    assert not scheduler.attempts
    assert len(list_backups(backup_folder(settings)).backups) == 1


def test_before_the_time_it_waits_for_the_time_then_runs_daily(
    make_settings: Callable[..., Settings],
) -> None:
    settings = _schedule_settings(make_settings)
    start = DAY.replace(hour=6, minute=59, second=30)
    fake = FakeTime(start, horizon=DAY.replace(hour=7, minute=59))
    scheduler = _scheduler(settings, None, fake)

    async def go() -> None:
        await scheduler.start()
        await fake.until_parked()
        assert not scheduler.attempts and scheduler.next_run_at == DAY.replace(hour=8)
        await fake.move_horizon(DAY.replace(day=26, hour=9))  # two daily runs
        await scheduler.stop()

    asyncio.run(go())
    assert [(a.outcome, a.at) for a in scheduler.attempts] == [
        ("created", DAY.replace(hour=8)),
        ("created", DAY.replace(day=26, hour=8)),
    ]
    # Both were really made today (only the schedule's clock is simulated), so retention
    # after the second kept only the newer, the newest of the day.
    [kept] = list_backups(backup_folder(settings)).backups
    assert kept.id == scheduler.attempts[1].detail


def test_busy_is_retried_in_five_minutes(make_settings: Callable[..., Settings]) -> None:
    settings = _schedule_settings(make_settings)
    folder = backup_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    start = DAY.replace(hour=9)
    fake = FakeTime(start, horizon=start + timedelta(minutes=4))
    db = Database(settings)
    scheduler = _scheduler(settings, db, fake)
    lock = BackupLock(folder, "restore a backup")  # what a restore would hold
    lock.acquire()

    async def go() -> None:
        await scheduler.start()
        await fake.until_parked()
        assert [a.outcome for a in scheduler.attempts] == ["busy"]
        assert "another backup operation is running" in scheduler.attempts[0].detail
        assert scheduler.next_run_at == start + timedelta(minutes=5)
        lock.release()
        await fake.move_horizon(start + timedelta(hours=1))
        await scheduler.stop()

    try:
        asyncio.run(go())
    finally:
        lock.release()
        db.dispose()
    assert [(a.outcome, a.at) for a in scheduler.attempts] == [
        ("busy", start),
        ("created", start + timedelta(minutes=5)),
    ]
    assert len(list_backups(folder).backups) == 1
    assert len(_audit_rows(settings, "backup.create")) == 1  # busy is not an attempt


def test_a_failure_is_retried_three_times_then_tomorrow(
    make_settings: Callable[..., Settings], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the backup folder should be")
    settings = _schedule_settings(make_settings, backup_dir=blocked)
    start = DAY.replace(hour=9)
    fake = FakeTime(start, horizon=DAY.replace(day=26, hour=7))
    db = Database(settings)
    scheduler = _scheduler(settings, db, fake)

    async def go() -> None:
        await scheduler.start()
        await fake.until_parked()
        assert scheduler.next_run_at == DAY.replace(day=26, hour=8)
        blocked.unlink()  # somebody fixes it; the next daily run works
        await fake.move_horizon(DAY.replace(day=26, hour=9))
        await scheduler.stop()

    with caplog.at_level(logging.INFO, logger="embedded_backend.backup.schedule"):
        try:
            asyncio.run(go())
        finally:
            db.dispose()
    attempts = list(scheduler.attempts)
    assert [(a.outcome, a.at) for a in attempts] == [
        ("failed", start),
        ("failed", start + timedelta(minutes=30)),
        ("failed", start + timedelta(minutes=60)),
        ("failed", start + timedelta(minutes=90)),
        ("created", DAY.replace(day=26, hour=8)),
    ]
    assert "a file with that name is in the way" in attempts[0].detail
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 4
    assert "trying again at 2026-11-25 09:30" in errors[0]
    assert "retry 1 of 3" in errors[0]
    assert "no more retries today, the next scheduled backup is at 2026-11-26 08:00" in errors[3]
    assert all("Traceback" not in e and "a file with that name is in the way" in e for e in errors)
    rows = _audit_rows(settings, "backup.create")
    assert [r.detail["ok"] for r in rows if r.detail] == [False] * 4 + [True]
    assert all(r.actor == "vigia" for r in rows)
    assert len(list_backups(backup_folder(settings)).backups) == 1


def test_stop_while_waiting_is_immediate(make_settings: Callable[..., Settings]) -> None:
    settings = _schedule_settings(make_settings, backup_startup_delay_s=3600)
    scheduler = BackupScheduler(settings)  # the real clock and sleep

    async def go() -> float:
        await scheduler.start()
        while scheduler.next_run_at is None:
            await asyncio.sleep(0.01)
        began = systime.monotonic()
        await scheduler.stop()
        return systime.monotonic() - began

    assert asyncio.run(go()) < 1.0
    assert not scheduler.attempts
    assert not list_backups(backup_folder(settings)).backups


def _copying(folder: Path) -> bool:
    """A backup's temporary file exists: the copy is under way in the worker thread."""
    return folder.is_dir() and any(p.name.endswith(".partial") for p in folder.iterdir())


def _running_backup_then_stop(settings: Settings, db: Database, stop_wait_s: float) -> float:
    """Start the service on a backup due at once, call stop() while the copy runs; return
    how long stop() took. Waits (really) until the copy has finished either way."""
    start = DAY.replace(hour=9)
    fake = FakeTime(start, horizon=start + timedelta(hours=1))
    scheduler = BackupScheduler(
        settings, db, clock=fake.clock, sleep=fake.sleep, tz=UTC, stop_wait_s=stop_wait_s
    )
    folder = backup_folder(settings)

    async def go() -> float:
        await scheduler.start()
        deadline = systime.monotonic() + 30
        while not _copying(folder) and systime.monotonic() < deadline:
            await asyncio.sleep(0.001)
        assert scheduler._running and _copying(folder), "the copy did not start"
        began = systime.monotonic()
        await scheduler.stop()
        took = systime.monotonic() - began
        deadline = systime.monotonic() + 60
        while not list_backups(folder).backups and systime.monotonic() < deadline:
            await asyncio.sleep(0.05)
        with BackupLock(folder, "wait for the abandoned backup", wait_s=60):
            pass  # retention too
        return took

    return asyncio.run(go())


def test_stop_lets_a_running_backup_finish(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    settings = _schedule_settings(make_settings)
    add_ballast(settings.paths.database, 20)  # so the copy takes a moment
    db = Database(settings)
    try:
        with caplog.at_level(logging.INFO, logger="embedded_backend.backup.schedule"):
            _running_backup_then_stop(settings, db, stop_wait_s=60)
    finally:
        db.dispose()
    messages = [r.getMessage() for r in caplog.records]
    assert "waiting up to 60 s for the scheduled backup in progress to finish" in messages
    assert not any("did not finish" in m for m in messages)
    listing = list_backups(backup_folder(settings))
    assert len(listing.backups) == 1 and not listing.bad and not listing.ignored
    [row] = _audit_rows(settings, "backup.create")
    assert row.target == listing.backups[0].id


def test_stop_gives_up_waiting_after_its_bound_and_leaves_no_junk(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    settings = _schedule_settings(make_settings)
    add_ballast(settings.paths.database, 20)
    db = Database(settings)
    try:
        took = _running_backup_then_stop(settings, db, stop_wait_s=0.0)
    finally:
        db.dispose()
    assert took < 1.0
    assert any("did not finish within 0 s" in r.getMessage() for r in caplog.records)
    # the copy went on in its thread and completed; nothing half-made is listed
    listing = list_backups(backup_folder(settings))
    assert len(listing.backups) == 1 and not listing.bad and not listing.ignored
    assert _audit_rows(settings, "backup.create") == []  # the engine was being closed
    assert not [p for p in backup_folder(settings).iterdir() if p.name.endswith(".partial")]


def test_the_service_in_a_live_server_backs_up_a_fresh_install(
    make_settings: Callable[..., Settings],
) -> None:
    """Registered by create_app: a first start after today's time makes the day's backup."""
    from tests.helpers.live import live_server

    settings = make_settings(
        backup_schedule_enabled=True, backup_time="00:00", backup_startup_delay_s=0
    )
    folder = backup_folder(settings)
    with live_server(settings) as live, live.client() as client:
        deadline = systime.monotonic() + 60
        while not list_backups(folder).backups and systime.monotonic() < deadline:
            systime.sleep(0.05)
        scheduler = live.runner.app.state.backup_schedule  # type: ignore[union-attr]
        while not scheduler.attempts and systime.monotonic() < deadline:
            systime.sleep(0.05)  # the audit row is written right after the backup
        [backup] = list_backups(folder).backups
        assert backup.trigger == "schedule"
        health = client.get("/health").json()
        assert health["checks"]["backup:age"][0]["status"] == "pass"
        rows = client.get("/api/v1/admin/audit", params={"action": "backup.create"}).json()
        assert rows["total"] == 1
        assert rows["items"][0]["actor"] == "vigia"
        assert rows["items"][0]["target"] == backup.id
        assert rows["items"][0]["detail"]["trigger"] == "schedule"
