"""The health history in a real SQLite file in the temp VIGIA_HOME."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from pathlib import Path

import pytest

from desktop.core.alerts import AlertRecord
from desktop.core.categories import Category
from desktop.core.history import HISTORY_FILE, HistoryStore, Resolution
from tests.desktop.fakes import FakeClock, sample

HOUR = 3600.0
DAY = 86400.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(wall=1_800_000_000.0)  # a whole hour: 2027-01-15T08:00:00Z


@pytest.fixture
def store(home: Path, clock: FakeClock) -> HistoryStore:
    return HistoryStore.in_home(home, clock)


def rows(path: Path) -> list[tuple[int, int, str, int]]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute(
            "SELECT resolution, bucket, metric, n FROM aggregate ORDER BY 1, 2, 3"
        ).fetchall()


def test_samples_become_minute_and_hour_aggregates(
    store: HistoryStore, clock: FakeClock, home: Path
) -> None:
    start = clock.time()
    for latency in (10.0, 30.0, 20.0):  # three samples in the first minute
        store.add(sample(clock, latency_ms=latency))
        clock.advance(2)
    store.add(sample(clock, "down"))
    clock.advance(60)
    store.add(sample(clock, "warn", latency_ms=50.0))  # a new minute: the first is written
    assert store.path == home / HISTORY_FILE
    written = rows(store.path)
    assert (60, int(start), "latency_ms", 3) in written
    assert (60, int(start), "up", 4) in written
    assert (3600, int(start), "latency_ms", 3) in written

    minutes = store.series("latency_ms", Resolution.MINUTE, since=start - 60)
    assert [(p.start - start, p.n) for p in minutes] == [(0, 3), (60, 1)]  # the second pending
    first = minutes[0]
    assert (first.mean, first.low, first.high) == (20.0, 10.0, 30.0)
    up = store.series("up", Resolution.MINUTE, since=start)
    assert [(p.n, p.total) for p in up] == [(4, 3.0), (1, 1.0)]
    statuses = {m: store.series(m, Resolution.MINUTE, since=start)
                for m in ("status_pass", "status_down", "status_warn")}  # fmt: skip
    assert [p.total for p in statuses["status_pass"]] == [3.0]
    assert [p.total for p in statuses["status_down"]] == [1.0]
    hours = store.series("latency_ms", Resolution.HOUR, since=start)
    assert len(hours) == 1 and hours[0].n == 4 and hours[0].high == 50.0
    assert store.series("db_ms", Resolution.MINUTE, since=start)[0].mean == 1.5
    assert store.series("disk_percent", Resolution.HOUR, since=start)[0].n == 4
    assert store.series("latency_ms", Resolution.MINUTE, since=start, until=start + 60)[0].n == 3
    store.close()


def test_graphs_survive_a_restart_of_the_tray(home: Path, clock: FakeClock) -> None:
    start = clock.time()
    store = HistoryStore.in_home(home, clock)
    for _ in range(5):
        store.add(sample(clock, latency_ms=8.0))
        clock.advance(2)
    store.close()  # the pending minute is written at close
    again = HistoryStore.in_home(home, clock)
    points = again.series("latency_ms", Resolution.MINUTE, since=start)
    assert [(p.n, p.mean) for p in points] == [(5, 8.0)]
    again.add(sample(clock, latency_ms=12.0))  # same minute, second session: merged
    points = again.series("latency_ms", Resolution.MINUTE, since=start)
    assert [(p.n, p.mean) for p in points] == [(6, pytest.approx(8.0 + 4 / 6))]
    again.close()


def test_old_buckets_are_pruned(home: Path, clock: FakeClock) -> None:
    store = HistoryStore.in_home(home, clock)
    start = clock.time()
    store.add(sample(clock))
    clock.advance(61)
    store.add(sample(clock))  # writes the first minute
    store.flush()
    clock.advance(DAY)  # the first minute is now older than 24 h; its hour is not
    assert store.prune() > 0
    assert store.series("latency_ms", Resolution.MINUTE, since=0) == []
    assert store.series("latency_ms", Resolution.HOUR, since=0)[0].start == int(start)
    clock.advance(30 * DAY)
    store.prune()
    assert store.series("latency_ms", Resolution.HOUR, since=0) == []
    store.close()


def test_pruning_also_happens_on_its_own(home: Path, clock: FakeClock) -> None:
    store = HistoryStore.in_home(home, clock)
    store.add(sample(clock))
    clock.advance(61)
    store.add(sample(clock))
    clock.advance(2 * DAY)
    store.add(sample(clock))  # more than an hour since the last prune: prunes
    assert store.series("latency_ms", Resolution.MINUTE, since=0)[0].start >= clock.time() - 61
    store.close()


def test_an_unreadable_file_is_moved_aside(
    home: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    home.mkdir(parents=True)
    (home / HISTORY_FILE).write_bytes(b"this is not a database, just some bytes " * 200)
    with caplog.at_level(logging.WARNING):
        store = HistoryStore.in_home(home, clock)
    assert any("cannot be read" in r.getMessage() for r in caplog.records)
    assert list(home.glob(f"{HISTORY_FILE}.broken-*"))
    store.add(sample(clock))
    store.close()
    assert rows(home / HISTORY_FILE)


def test_a_newer_schema_is_not_overwritten(home: Path, clock: FakeClock) -> None:
    home.mkdir(parents=True)
    with contextlib.closing(sqlite3.connect(home / HISTORY_FILE)) as db:
        db.execute("PRAGMA user_version = 99")
    HistoryStore.in_home(home, clock).close()
    assert list(home.glob(f"{HISTORY_FILE}.broken-*"))


def test_a_failed_write_is_logged_once_and_never_raised(
    store: HistoryStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    store._db.execute("DROP TABLE aggregate")  # what a broken disk would look like to us
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            store.add(sample(clock))
            clock.advance(61)
    warnings = [r for r in caplog.records if "could not write the health history" in r.getMessage()]
    assert len(warnings) == 1
    # What is not written yet can still be shown.
    assert len(store.series("latency_ms", Resolution.MINUTE, since=0)) == 1
    store.close()


def record(id_: str, raised: float, resolved: float | None = None) -> AlertRecord:
    return AlertRecord(
        id=id_,
        category=Category.DISK,
        subject="disk",
        severity="warning",
        title="Disk almost full",
        message="The disk with the ERP data is 93% full.",
        raised_at=raised,
        updated_at=raised + 5,
        resolved_at=resolved,
        resolved_by="cleared" if resolved else None,
    )


def test_alert_records_are_kept_and_updated(home: Path, clock: FakeClock) -> None:
    store = HistoryStore.in_home(home, clock)
    now = clock.time()
    store.save_alert(record("a", now - 100))
    store.save_alert(record("b", now - 50))
    store.save_alert(record("a", now - 100, resolved=now - 10))  # an update, not a new one
    store.close()
    again = HistoryStore.in_home(home, clock)
    loaded = again.alerts()
    assert [r.id for r in loaded] == ["b", "a"]  # newest first
    assert loaded[1].resolved_at == now - 10 and loaded[1].resolved_by == "cleared"
    # "b" was still open when the tray stopped without closing it.
    assert loaded[0].resolved_at == now - 45
    assert loaded[0].resolved_by == "Vigia stopped unexpectedly"
    clock.advance(30 * DAY - 20)
    again.prune()
    assert [r.id for r in again.alerts()] == ["a"]  # "b" was last updated 30 days ago
    clock.advance(60)
    again.prune()
    assert again.alerts() == []
    again.close()
