"""The database circuit breaker: transitions on a fake clock, counting under threads,
and its wiring to a real engine (a file that cannot be opened)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from embedded_backend.config import Settings
from embedded_backend.db.circuit import CircuitBreaker, CircuitOpenError, CircuitState
from embedded_backend.db.database import Database


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker(failures=5, reset_s=30, clock=clock)


def _fail(breaker: CircuitBreaker, times: int) -> None:
    for i in range(times):
        breaker.record_failure(f"OperationalError: refused #{i}")


def test_opens_after_five_consecutive_failures(breaker: CircuitBreaker) -> None:
    _fail(breaker, 4)
    assert breaker.state is CircuitState.CLOSED
    breaker.before_call()  # still let through
    _fail(breaker, 1)
    assert breaker.snapshot().state is CircuitState.OPEN
    with pytest.raises(CircuitOpenError) as info:
        breaker.before_call()
    assert info.value.retry_after_s == 30
    assert info.value.retry_after_header == "30"
    assert info.value.last_error == "OperationalError: refused #0"


def test_a_success_resets_the_count(breaker: CircuitBreaker) -> None:
    _fail(breaker, 4)
    breaker.record_success()
    _fail(breaker, 4)
    assert breaker.state is CircuitState.CLOSED
    assert breaker.snapshot().consecutive_failures == 4


def test_retry_after_counts_down(breaker: CircuitBreaker, clock: FakeClock) -> None:
    _fail(breaker, 5)
    clock.now += 12.3
    with pytest.raises(CircuitOpenError) as info:
        breaker.before_call()
    assert info.value.retry_after_s == pytest.approx(17.7)
    assert info.value.retry_after_header == "18"
    assert breaker.snapshot().retry_after_s == pytest.approx(17.7)


def test_half_open_lets_one_probe_through_and_closes_on_success(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    _fail(breaker, 5)
    clock.now += 30
    breaker.before_call()  # the probe
    assert breaker.state is CircuitState.HALF_OPEN
    with pytest.raises(CircuitOpenError) as info:  # everyone else waits for it
        breaker.before_call()
    assert info.value.retry_after_header == "1"
    breaker.record_success()
    assert breaker.snapshot().state is CircuitState.CLOSED
    breaker.before_call()
    assert breaker.snapshot().consecutive_failures == 0


def test_failed_probe_opens_again_with_a_fresh_timer(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    _fail(breaker, 5)
    clock.now += 31
    breaker.before_call()
    breaker.record_failure("OperationalError: still refused")  # one failure is enough
    assert breaker.state is CircuitState.OPEN
    with pytest.raises(CircuitOpenError) as info:
        breaker.before_call()
    assert info.value.retry_after_s == 30
    assert info.value.last_error == "OperationalError: still refused"


def test_a_probe_that_never_reports_is_replaced(breaker: CircuitBreaker, clock: FakeClock) -> None:
    _fail(breaker, 5)
    clock.now += 30
    breaker.before_call()
    clock.now += 30
    breaker.before_call()  # a second probe after another reset period
    assert breaker.state is CircuitState.HALF_OPEN


def test_failures_while_open_keep_the_timer(breaker: CircuitBreaker, clock: FakeClock) -> None:
    _fail(breaker, 5)
    clock.now += 10
    _fail(breaker, 3)  # calls that were already under way
    with pytest.raises(CircuitOpenError) as info:
        breaker.before_call()
    assert info.value.retry_after_s == 20


def test_each_transition_is_logged_once(
    breaker: CircuitBreaker, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="embedded_backend.db.circuit")
    _fail(breaker, 8)
    breaker.record_success()
    breaker.record_success()
    records = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert [level for level, _ in records] == [logging.WARNING, logging.INFO]
    assert "circuit open after 5 consecutive connection failures" in records[0][1]
    assert "circuit closed" in records[1][1]


def test_counting_is_thread_safe(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failures=8 * 500, reset_s=30, clock=clock)
    barrier = threading.Barrier(8)

    def hammer() -> None:
        barrier.wait()
        for _ in range(500):
            breaker.record_failure("OperationalError: refused")

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Exactly the threshold: a lost update would leave it closed.
    assert breaker.snapshot().consecutive_failures == 8 * 500
    assert breaker.state is CircuitState.OPEN


def test_only_one_probe_among_many_threads(breaker: CircuitBreaker, clock: FakeClock) -> None:
    _fail(breaker, 5)
    clock.now += 30
    barrier = threading.Barrier(16)
    allowed: list[bool] = []
    lock = threading.Lock()

    def attempt() -> None:
        barrier.wait()
        try:
            breaker.before_call()
            ok = True
        except CircuitOpenError:
            ok = False
        with lock:
            allowed.append(ok)

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert allowed.count(True) == 1


def test_invalid_threshold() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CircuitBreaker(failures=0)


def test_database_opens_on_connection_failures_only(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    # A directory that does not exist: every connect fails with "unable to open".
    missing = tmp_path / "no-such-dir" / "vigia.db"
    good = make_settings(db_circuit_failures=3, db_circuit_reset_s=60)
    db = Database(good, engine=None)
    try:
        db.ping()
        db.ping()
        assert db.circuit.state is CircuitState.CLOSED
    finally:
        db.dispose()

    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{missing}")
    db = Database(good, engine=engine)
    try:
        for _ in range(3):
            with pytest.raises(OperationalError):
                db.ping()
        assert db.circuit.state is CircuitState.OPEN
        assert "unable to open database file" in (db.circuit.last_error or "")
        with pytest.raises(CircuitOpenError):
            db.ping()
        with pytest.raises(CircuitOpenError):
            db.new_read_session()
        with pytest.raises(CircuitOpenError):
            db.write(lambda s: None)
    finally:
        db.dispose()


def test_statement_errors_do_not_count(make_settings: Callable[..., Settings]) -> None:
    from sqlalchemy import text

    db = Database(make_settings(db_circuit_failures=2))
    try:
        for _ in range(4):
            with pytest.raises(OperationalError), db.read_session() as session:
                session.execute(text("SELECT * FROM no_such_table"))
        assert db.circuit.state is CircuitState.CLOSED
        assert db.circuit.snapshot().consecutive_failures == 0
    finally:
        db.dispose()
