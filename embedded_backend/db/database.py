"""The ``Database`` object: sessions for reads, retried transactions for writes.

Every session passes the maintenance gate (db/gate.py): during a restore, writes are
refused with :class:`~embedded_backend.errors.MaintenanceError` (503 + Retry-After), and
during the swap itself every new session is, while the open ones are waited for.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from embedded_backend.config import Settings
from embedded_backend.db.circuit import CircuitBreaker, attach
from embedded_backend.db.engine import BEGIN_OPTION, create_db_engine, describe, is_sqlite
from embedded_backend.db.gate import DatabaseGate, gated_session_class
from embedded_backend.db.retry import is_lock_conflict

log = logging.getLogger(__name__)

T = TypeVar("T")


class Database:
    """Owns one engine. Create one per app instance; ``dispose()`` on shutdown."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or create_db_engine(settings)
        self.is_sqlite = is_sqlite(self.engine)
        self.url = describe(self.engine)
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
            return self._write_once(work)
        except DBAPIError as exc:
            if not is_lock_conflict(exc) or self.settings.db_write_attempts < 2:
                raise
            self._log_busy(1, 0.0)
        retrying = Retrying(
            stop=stop_after_attempt(self.settings.db_write_attempts - 1),
            wait=wait_exponential_jitter(multiplier=0.05, max=2.0, jitter=0.1),
            retry=retry_if_exception(is_lock_conflict),
            before_sleep=self._log_retry,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                return self._write_once(work)
        raise AssertionError("unreachable")  # pragma: no cover

    def _write_once(self, work: Callable[[Session], T]) -> T:
        with self._write_lock or nullcontext(), self._write() as session, session.begin():
            session.connection()  # BEGIN (IMMEDIATE on SQLite) before any work
            return work(session)

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
            return (time.perf_counter() - started) * 1000.0
        finally:
            self.gate.leave(write=False)

    def dispose(self) -> None:
        self.engine.dispose()
