"""A circuit breaker in front of the database.

States::

    closed ──N consecutive connection failures──▶ open
    open ──reset_s elapsed, next caller──▶ half_open (that caller is the probe)
    half_open ──probe connects──▶ closed
    half_open ──probe fails──▶ open (timer restarts)

While open, :meth:`CircuitBreaker.before_call` raises :class:`CircuitOpenError` at once
(no connection attempt), carrying the seconds until the next probe (``Retry-After``) and
the last connection error (what health shows). Only *connection* failures count: lock
conflicts and constraint violations say the database is there.

:func:`attach` wires a breaker to an engine: a failed connect or a disconnect seen by
``handle_error`` counts as a failure, a successful pool checkout (after pre-ping) as a
success. Any success closes the circuit, whoever observed it: besides the requests, the
backend pings the database every 2 s while the circuit is open (lifespan.py), so it closes
within about 2 s of the database coming back rather than at the next probe ``reset_s`` later.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError

from embedded_backend.db.retry import is_lock_conflict
from embedded_backend.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpenError(DatabaseUnavailable):
    """The breaker refuses the call without trying the database."""

    def __init__(self, retry_after_s: float, last_error: str | None) -> None:
        self.retry_after_s = retry_after_s
        self.last_error = last_error
        super().__init__(
            f"database circuit open (next try in {retry_after_s:.0f} s): "
            f"{last_error or 'connection failures'}"
        )

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after_s)))


@dataclass(frozen=True)
class CircuitSnapshot:
    state: CircuitState
    consecutive_failures: int
    last_error: str | None
    retry_after_s: float  # 0 when a call would be let through now


class CircuitBreaker:
    """Thread-safe; ``clock`` is injectable (monotonic seconds) for tests."""

    def __init__(
        self,
        failures: int = 5,
        reset_s: float = 30.0,
        clock: Clock = time.monotonic,
        name: str = "database",
    ) -> None:
        if failures < 1:
            raise ValueError("failures must be at least 1")
        self.threshold = failures
        self.reset_s = reset_s
        self.name = name
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_started = 0.0
        self._last_error: str | None = None

    # -- reading ------------------------------------------------------------------------

    @property
    def state(self) -> CircuitState:
        with self._lock:
            return self._state

    @property
    def last_error(self) -> str | None:
        with self._lock:
            return self._last_error

    @property
    def is_closed(self) -> bool:
        return self.state is CircuitState.CLOSED

    def snapshot(self) -> CircuitSnapshot:
        with self._lock:
            return CircuitSnapshot(
                self._state, self._failures, self._last_error, self._wait_locked(self._clock())
            )

    def _wait_locked(self, now: float) -> float:
        if self._state is CircuitState.OPEN:
            return max(0.0, self._opened_at + self.reset_s - now)
        if self._state is CircuitState.HALF_OPEN:
            # A probe is under way; if it never reports, another is let through later.
            return max(0.0, self._probe_started + self.reset_s - now)
        return 0.0

    # -- gate ---------------------------------------------------------------------------

    def before_call(self) -> None:
        """Return if the call may go ahead; raise :class:`CircuitOpenError` if not."""
        with self._lock:
            if self._state is CircuitState.CLOSED:
                return
            now = self._clock()
            wait = self._wait_locked(now)
            if wait > 0:
                # While a probe is under way, ask others to come back soon, not in reset_s.
                if self._state is CircuitState.HALF_OPEN:
                    wait = min(wait, 1.0)
                raise CircuitOpenError(wait, self._last_error)
            entering = self._state is CircuitState.OPEN
            self._state = CircuitState.HALF_OPEN
            self._probe_started = now
        if entering:
            log.info("%s circuit half-open: letting one probe through", self.name)

    # -- outcomes -----------------------------------------------------------------------

    def record_success(self) -> None:
        if self._state is CircuitState.CLOSED and self._failures == 0:
            return  # the common case, on every checkout: no lock needed to do nothing
        with self._lock:
            previous = self._state
            self._failures = 0
            if previous is CircuitState.CLOSED:
                return
            self._state = CircuitState.CLOSED
        log.info("%s circuit closed: the %s answers again", self.name, self.name)

    def record_failure(self, reason: str) -> None:
        with self._lock:
            self._last_error = reason
            self._failures += 1
            previous = self._state
            if previous is CircuitState.OPEN:
                return  # calls that were already under way; the timer keeps running
            if previous is CircuitState.CLOSED and self._failures < self.threshold:
                return
            self._state = CircuitState.OPEN
            self._opened_at = self._clock()
            failures = self._failures
        if previous is CircuitState.HALF_OPEN:
            log.warning(
                "%s circuit open again: the probe failed (%s); next probe in %.0f s",
                self.name,
                reason,
                self.reset_s,
            )
        else:
            log.warning(
                "%s circuit open after %d consecutive connection failures (last: %s); "
                "requests fail fast for %.0f s",
                self.name,
                failures,
                reason,
                self.reset_s,
            )


def describe_error(exc: BaseException) -> str:
    """``Type: first line`` of the driver's error, short enough for health output."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return f"{type(orig).__name__}: {first}"[:300]


def is_connection_error(ctx: ExceptionContext) -> bool:
    """Did this error come from not reaching the database (not from a statement)?"""
    if ctx.is_pre_ping:
        return False  # the pool reconnects at once; that attempt's outcome is what counts
    exc = ctx.sqlalchemy_exception
    if exc is None or not isinstance(exc, DBAPIError) or is_lock_conflict(exc):
        return False
    if ctx.is_disconnect:
        return True
    # No connection in the context: it failed while being established.
    return ctx.connection is None


def attach(engine: Engine, breaker: CircuitBreaker) -> None:
    """Count this engine's connection failures and successful checkouts."""

    def on_error(ctx: ExceptionContext) -> None:
        if is_connection_error(ctx):
            breaker.record_failure(describe_error(ctx.original_exception))

    def on_checkout(_dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        breaker.record_success()

    event.listen(engine, "handle_error", on_error)
    event.listen(engine, "checkout", on_checkout)
