"""The ``Database`` object: sessions for reads, retried transactions for writes.

Every session passes the maintenance gate (db/gate.py): during a restore, writes are
refused with :class:`~embedded_backend.errors.MaintenanceError` (503 + Retry-After), and
during the swap itself every new session is, while the open ones are waited for.

On SQLite a write waits for the lock at most ``sqlite_busy_timeout_ms`` in all (queueing
behind this process's other writers included), then gives up with the lock error, which
the API answers with a plain 503; retries of the whole transaction happen within that
time. Every SQLite write also checks that the file it writes to is still the database
file (db/sqlite_file.py), and what refused the last write is kept for health
(db/trouble.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

from embedded_backend.config import Settings
from embedded_backend.db import sqlite_file
from embedded_backend.db.circuit import CircuitBreaker, attach
from embedded_backend.db.engine import (
    BEGIN_OPTION,
    BUSY_OPTION,
    FILE_ID,
    create_db_engine,
    describe,
    is_sqlite,
)
from embedded_backend.db.gate import DatabaseGate, gated_session_class
from embedded_backend.db.retry import is_lock_conflict
from embedded_backend.db.trouble import (
    WriteTrouble,
    locked_message,
    locked_status,
    queue_message,
)
from embedded_backend.db.urls import sqlite_file as url_file
from embedded_backend.errors import DatabaseBusyError, DatabaseFileError

log = logging.getLogger(__name__)

T = TypeVar("T")

# How long a SQLite write may queue behind this server's own writers (normal work: their
# commits, a checkpoint's fsync on a slow disk) before it is refused as "busy". Longer than
# the busy timeout on purpose: under load (64 connections on 2 cores, tests/perf/soak) the
# queue reaches several seconds, and refusing then would turn slowness into lost orders
# the client must retry. Behind a writer that is itself waiting for *another program's*
# lock, the wait is the busy timeout (see _acquire).
QUEUE_LIMIT_S = 30.0
_QUEUE_SLICE_S = 0.05


class Database:
    """Owns one engine. Create one per app instance; ``dispose()`` on shutdown."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or create_db_engine(settings)
        self.is_sqlite = is_sqlite(self.engine)
        self.url = describe(self.engine)
        self.sqlite_path = url_file(self.engine.url) if self.is_sqlite else None
        # SQLite: the longest a write waits for the lock, all attempts together.
        self.busy_s = settings.sqlite_busy_timeout_ms / 1000 if self.is_sqlite else None
        self.trouble = WriteTrouble()
        self._putting_back = threading.Lock()
        self._in_begin = False  # the writer holding _write_lock waits for SQLite's lock
        write_engine = self.engine
        if self.is_sqlite:
            write_engine = self.engine.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
        # Maintenance mode (a restore); every session holds a place in it while open.
        self.gate = DatabaseGate()
        self._read = sessionmaker(
            self.engine, class_=gated_session_class(self.gate, write=False), expire_on_commit=False
        )
        self._write = sessionmaker(
            write_engine, class_=gated_session_class(self.gate, write=True), expire_on_commit=False
        )
        # SQLite has one writer at a time; queue this process's writers here instead
        # of letting them spin in SQLite's busy handler.
        self._write_lock: threading.Lock | None = threading.Lock() if self.is_sqlite else None
        if self.is_sqlite:
            # Runs before engine.py's listener sends BEGIN: from here the writer waits for
            # SQLite's lock (another program's), not for a pooled connection (our readers).
            event.listen(self.engine, "begin", self._flag_begin, insert=True)
        # Fail fast while the database cannot be reached (see db/circuit.py).
        self.circuit = CircuitBreaker(settings.db_circuit_failures, settings.db_circuit_reset_s)
        attach(self.engine, self.circuit)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        self.circuit.before_call()
        with self._read() as session:
            yield session

    def new_read_session(self) -> Session:
        """A session the caller must close (no connection is taken until first use)."""
        self.circuit.before_call()
        return self._read()

    def write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one write transaction; retry the whole of it on lock conflicts.

        ``work`` may run more than once, each time in a fresh transaction; it must not
        have effects outside the session.
        """
        self.circuit.before_call()
        try:
            try:
                result = self._write_retrying(work)
            except DatabaseFileError as exc:
                if exc.kind != "deleted":
                    raise
                self.put_back_deleted()
                result = self._write_retrying(work)
        except DatabaseFileError as exc:
            self.trouble.set(exc.kind, str(exc))
            raise
        except DatabaseBusyError:
            raise  # recorded by _queue_timeout
        except OperationalError as exc:
            self._note_refusal(exc)
            raise
        self.trouble.clear()
        return result

    def _write_retrying(self, work: Callable[[Session], T]) -> T:
        deadline = time.monotonic() + self.busy_s if self.busy_s is not None else None
        try:
            return self._write_once(work, deadline)
        except DBAPIError as exc:
            if not is_lock_conflict(exc) or self.settings.db_write_attempts < 2:
                raise
            if deadline is not None and time.monotonic() >= deadline:
                raise
            self._log_busy(1, 0.0)
        stop: stop_base = stop_after_attempt(self.settings.db_write_attempts - 1)
        if deadline is not None:
            stop = stop | stop_before_delay(max(deadline - time.monotonic(), 0.0))
        retrying = Retrying(
            stop=stop,
            wait=wait_exponential_jitter(multiplier=0.05, max=2.0, jitter=0.1),
            retry=retry_if_exception(is_lock_conflict),
            before_sleep=self._log_retry,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                return self._write_once(work, deadline)
        raise AssertionError("unreachable")  # pragma: no cover

    def _write_once(self, work: Callable[[Session], T], deadline: float | None = None) -> T:
        lock = self._write_lock
        if lock is not None:
            self._acquire(lock, deadline)
        try:
            with self._write() as session, session.begin():
                if deadline is None:
                    session.connection()  # BEGIN (IMMEDIATE on SQLite) before any work
                else:  # wait for the lock only what is left of the write's own time
                    busy_ms = int(_left(deadline) * 1000)
                    try:  # a pool checkout, then BEGIN IMMEDIATE (_flag_begin marks it)
                        connection = session.connection(execution_options={BUSY_OPTION: busy_ms})
                    finally:
                        self._in_begin = False
                    self._check_file(connection.connection.info.get(FILE_ID))
                return work(session)
        finally:
            if lock is not None:
                lock.release()

    def _flag_begin(self, conn: Connection) -> None:
        if conn.get_execution_options().get(BEGIN_OPTION) == "IMMEDIATE":
            self._in_begin = True

    def _acquire(self, lock: threading.Lock, deadline: float | None) -> None:
        """Queue for this process's write lock: up to the busy timeout while the writer
        ahead waits for another program's lock (that program is the cause: say so), up
        to QUEUE_LIMIT_S while it is doing ordinary work."""
        if deadline is None:
            lock.acquire()
            return
        started = time.monotonic()
        limit = started + max(QUEUE_LIMIT_S, self.busy_s or 0.0)
        while not lock.acquire(timeout=_QUEUE_SLICE_S):
            now = time.monotonic()
            if (now >= deadline and self._in_begin) or now >= limit:
                raise self._queue_timeout(now - started)

    def _queue_timeout(self, waited: float) -> DatabaseBusyError:
        """This write waited its whole time behind this process's other writers: say why
        they are slow (the one ahead still waiting for SQLite's lock is another program)."""
        waited = round(waited, 1)
        if self._in_begin:
            self.trouble.set("locked", locked_status(self.sqlite_path, waited))
            return DatabaseBusyError(locked_message(self.sqlite_path, waited))
        self.trouble.set("queue", queue_message(waited))
        return DatabaseBusyError(queue_message(waited))

    def _check_file(self, opened: object) -> None:
        if self.sqlite_path is not None and isinstance(opened, tuple):
            problem = sqlite_file.identity_problem(self.sqlite_path, opened)
            if problem is not None:
                raise problem

    def put_back_deleted(self) -> None:
        """The file was deleted: put it back from the open connections (one caller at a
        time; raises :class:`DatabaseFileError` when that is not possible)."""
        with self._putting_back:
            sqlite_file.put_back(self)
        self.trouble.notice(
            f"the database file {self.sqlite_path} was deleted while Vigia was running; "
            "Vigia put it back from the open database and nothing was lost. Find out what "
            "deleted it (a cleanup tool, an antivirus, a person)"
        )

    def _note_refusal(self, exc: OperationalError) -> None:
        """Remember why SQLite refused a change (for health); raise the file's problem."""
        if self.sqlite_path is None:
            return
        if is_lock_conflict(exc):
            self.trouble.set("locked", locked_status(self.sqlite_path, self.busy_s or 0.0))
            return
        problem = sqlite_file.explain_write_failure(self.sqlite_path, str(exc.orig))
        if problem is not None:
            self.trouble.set(problem.kind, str(problem))
            raise problem from None

    def write_health(self) -> tuple[str, str] | None:
        """``(status, text)`` when changes are (or were lately) refused; checks first
        whether the recorded reason still holds. Blocks briefly: call from a thread."""
        path = self.sqlite_path
        if path is None:
            return None
        problem = sqlite_file.writability_problem(path)
        if problem is not None:
            self.trouble.set(problem.kind, str(problem))
        elif (trouble := self.trouble.current) is not None:
            self._probe_write(trouble.kind)
        trouble = self.trouble.current
        if trouble is not None:
            since = trouble.since.astimezone().strftime("%H:%M:%S")
            return "warn", f"{trouble.message} (since {since})"
        notice = self.trouble.recent_notice
        return ("warn", notice) if notice else None

    def _probe_write(self, kind: str) -> None:
        """Take the write lock and let go at once, writing nothing: does it work now?"""
        if kind in ("deleted", "replaced"):
            return  # the next write tries again (and puts a deleted file back)
        if kind == "disk_full":
            if sqlite_file.has_room(self.sqlite_path):
                self.trouble.clear()
            return
        try:
            self._write_once(lambda _session: None, time.monotonic())
        except Exception:  # noqa: BLE001 - still refused; the recorded reason stands
            return
        self.trouble.clear()

    def _log_retry(self, retry_state: RetryCallState) -> None:
        wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
        self._log_busy(retry_state.attempt_number + 1, wait)

    def _log_busy(self, failed_attempt: int, wait: float) -> None:
        log.warning(
            "database busy with another writer; retrying the whole transaction in %.2f s "
            "(attempt %d of %d failed)",
            wait,
            failed_attempt,
            self.settings.db_write_attempts,
        )

    def ping(self, *, gate: bool = True) -> float:
        """Run a real ``SELECT 1``; return the round trip in milliseconds.

        ``gate=False`` skips the circuit breaker's check (for callers that pace their own
        retries, like startup); the outcome is still counted.
        """
        if gate:
            self.circuit.before_call()
        self.gate.enter(write=False)
        try:
            started = time.perf_counter()
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1")).scalar_one()
                self._check_file(conn.connection.info.get(FILE_ID))
            return (time.perf_counter() - started) * 1000.0
        finally:
            self.gate.leave(write=False)

    def dispose(self) -> None:
        self.engine.dispose()


def _left(deadline: float) -> float:
    return max(deadline - time.monotonic(), 0.0)
