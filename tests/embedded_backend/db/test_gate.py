"""The maintenance gate on a real SQLite Database: writes refused, reads allowed, and
the swap's exclusive phase waiting for the sessions still open (threads, no sleeps)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from embedded_backend.config import Settings
from embedded_backend.db.database import Database
from embedded_backend.db.gate import (
    RETRY_AFTER_MAINTENANCE_S,
    RETRY_AFTER_SWAP_S,
    DatabaseGate,
    Maintenance,
)
from embedded_backend.db.migrate import migrate_to_head
from embedded_backend.errors import DatabaseUnavailable, MaintenanceError


@pytest.fixture
def db(make_settings: Callable[..., Settings]) -> Iterator[Database]:
    settings = make_settings()
    settings.paths.ensure()
    database = Database(settings)
    migrate_to_head(database.engine)
    yield database
    database.dispose()


def _read(db: Database) -> int:
    with db.read_session() as session:
        return int(session.connection().exec_driver_sql("SELECT 1").scalar_one())


def test_open_gate_counts_sessions(db: Database) -> None:
    assert db.gate.mode == "open" and db.gate.active == 0
    session = db.new_read_session()
    assert db.gate.active == 1
    session.close()
    session.close()  # closing twice leaves once
    assert db.gate.active == 0
    assert db.write(lambda s: 7) == 7 and db.gate.active == 0
    assert db.ping() > 0 and db.gate.active == 0


def test_maintenance_refuses_writes_and_allows_reads(db: Database) -> None:
    db.gate.begin_maintenance(Maintenance("restoring backup X", "X", "ana"))
    with pytest.raises(MaintenanceError) as refused:
        db.write(lambda s: None)
    err = refused.value
    assert isinstance(err, DatabaseUnavailable)  # callers that handle outages handle this
    assert err.write and err.retry_after_s == RETRY_AFTER_MAINTENANCE_S
    assert str(err) == (
        "Vigia is restoring backup X: changes are paused until it finishes; reading still "
        f"works. Try again in {RETRY_AFTER_MAINTENANCE_S} s"
    )
    assert _read(db) == 1 and db.ping() > 0
    assert db.gate.active == 0
    with pytest.raises(MaintenanceError, match="already in maintenance"):
        db.gate.begin_maintenance(Maintenance("something else"))
    db.gate.end_maintenance()
    assert db.gate.maintenance is None
    db.write(lambda s: None)


def test_close_waits_for_open_sessions_and_refuses_new_ones(db: Database) -> None:
    db.gate.begin_maintenance(Maintenance("restoring backup X", "X"))
    session = db.new_read_session()
    session.connection()  # mid-request, holding a connection
    closed = threading.Event()
    outcome: list[bool] = []

    def swap() -> None:
        outcome.append(db.gate.close(timeout_s=60))
        closed.set()

    thread = threading.Thread(target=swap)
    thread.start()
    try:
        # Once the gate is closing, a new session is refused at once (reads too).
        with db.gate._cond:  # wait until close() has switched the mode
            db.gate._cond.wait_for(lambda: db.gate.mode == "closed", 30)
        with pytest.raises(MaintenanceError) as refused:
            _read(db)
        assert not refused.value.write and refused.value.retry_after_s == RETRY_AFTER_SWAP_S
        assert "being replaced" in str(refused.value)
        with pytest.raises(MaintenanceError):
            db.ping()
        assert db.gate.maintenance is not None and db.gate.maintenance.phase == "swapping"
        assert not closed.is_set()  # still waiting for the open session
        session.close()
        assert closed.wait(30)
    finally:
        session.close()
        thread.join(30)
    assert outcome == [True] and db.gate.active == 0
    db.gate.end_maintenance()
    assert _read(db) == 1


def test_close_gives_up_after_its_timeout(db: Database) -> None:
    db.gate.begin_maintenance(Maintenance("restoring backup X", "X"))
    session = db.new_read_session()
    try:
        assert db.gate.close(timeout_s=0.05) is False
        assert db.gate.mode == "writes_blocked"  # back to where it was: nothing changed
        assert db.gate.maintenance is not None
        assert db.gate.maintenance.phase == "writes_blocked"
        assert _read(db) == 1
    finally:
        session.close()
        db.gate.end_maintenance()


def test_writes_already_running_are_waited_for() -> None:
    gate = DatabaseGate()
    gate.enter(write=True)  # a write transaction in progress
    gate.begin_maintenance(Maintenance("restoring backup X"))
    assert gate.wait_for_writers(0.05) is False
    done = threading.Event()
    results: list[bool] = []

    def wait() -> None:
        results.append(gate.wait_for_writers(60))
        done.set()

    thread = threading.Thread(target=wait)
    thread.start()
    gate.leave(write=True)
    assert done.wait(30)
    thread.join(30)
    assert results == [True]
