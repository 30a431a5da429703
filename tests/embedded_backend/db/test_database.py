"""Whole-transaction retry when another process holds the SQLite write lock."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from embedded_backend.config import Settings
from embedded_backend.db.database import Database
from embedded_backend.db.migrate import migrate_to_head
from embedded_backend.db.models import Product

HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    return proc


def _release(proc: subprocess.Popen[str], kill: bool = False) -> None:
    if kill:
        proc.kill()
    proc.wait(10)
    if proc.stdout:
        proc.stdout.close()


@pytest.fixture
def db(make_settings: Callable[..., Settings]) -> Database:
    # A write waits for the lock at most the busy timeout in all (then 503): 5 s outlasts 3 s.
    database = Database(make_settings(sqlite_busy_timeout_ms=5000, db_write_attempts=12))
    migrate_to_head(database.engine)
    return database


def test_write_waits_out_a_3_second_lock_from_another_process(db: Database) -> None:
    holder = _hold_lock(Path(db.engine.url.database or ""), 3)
    try:
        started = time.monotonic()
        attempts: list[int] = []

        def work(session) -> int:  # type: ignore[no-untyped-def]
            attempts.append(1)
            product = Product(sku="LOCK-1", name="x", price=1, stock=1)
            session.add(product)
            session.flush()
            return product.id

        product_id = db.write(work)
        waited = time.monotonic() - started
    finally:
        _release(holder)
    assert product_id == 1
    assert waited >= 2.5  # it really had to wait for the other process
    assert attempts == [1]  # the lock is taken at BEGIN, before any work runs
    with db.read_session() as session:
        assert session.get(Product, product_id) is not None
    db.dispose()


def test_gives_up_after_the_bounded_attempts(make_settings: Callable[..., Settings]) -> None:
    database = Database(make_settings(sqlite_busy_timeout_ms=50, db_write_attempts=3))
    migrate_to_head(database.engine)
    holder = _hold_lock(Path(database.engine.url.database or ""), 8)
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="locked"):
            database.write(lambda s: s.execute(text("SELECT 1")))
        assert time.monotonic() - started < 6
    finally:
        _release(holder, kill=True)
        database.dispose()


def test_other_errors_are_not_retried(db: Database) -> None:
    calls: list[int] = []

    def work(session) -> None:  # type: ignore[no-untyped-def]
        calls.append(1)
        raise ValueError("domain problem")

    with pytest.raises(ValueError):
        db.write(work)
    assert calls == [1]
    db.dispose()


def test_failed_transaction_writes_nothing(db: Database) -> None:
    def work(session) -> None:  # type: ignore[no-untyped-def]
        session.add(Product(sku="HALF", name="x", price=1, stock=1))
        session.flush()
        raise RuntimeError("after the insert")

    with pytest.raises(RuntimeError):
        db.write(work)
    with db.read_session() as session:
        assert session.execute(text("SELECT count(*) FROM products")).scalar() == 0
    db.dispose()


def test_a_write_queued_behind_slow_ordinary_work_waits_past_the_busy_timeout(
    make_settings: Callable[..., Settings],
) -> None:
    """Behind this server's own writers (no other program holds the lock) a write queues
    longer than the busy timeout: under load that is slowness, not a reason to refuse."""
    database = Database(make_settings(sqlite_busy_timeout_ms=300))
    migrate_to_head(database.engine)
    try:

        def slow(session) -> None:  # type: ignore[no-untyped-def]
            session.add(Product(sku="SLOW", name="x", price=1, stock=1))
            time.sleep(1.2)  # holds this process's write lock for 4 × the busy timeout

        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(database.write, slow)
            time.sleep(0.2)
            started = time.monotonic()
            database.write(lambda s: s.add(Product(sku="QUEUED", name="y", price=1, stock=1)))
            waited = time.monotonic() - started
            first.result()
        assert waited > 0.3 * 2  # it really queued past the busy timeout
        with database.read_session() as session:
            assert session.execute(text("SELECT count(*) FROM products")).scalar_one() == 2
    finally:
        database.dispose()
