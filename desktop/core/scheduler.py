"""Schedulers: serial executors with timers.

A :class:`Scheduler` runs callbacks one at a time, in due order, on one thread of its
own; code that owns one (the supervisor, the health poller) needs no lock for the state
only those callbacks touch. Callbacks may block (a graceful stop, an HTTP request): the
next one simply waits.

:class:`ThreadScheduler` is the real one. Tests drive the same code with a manual
scheduler on a fake clock (``tests/desktop/fakes.py``), so timing is deterministic.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Protocol, TypeVar

from desktop.core.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger(__name__)

T = TypeVar("T")


class Handle:
    """A scheduled call; :meth:`cancel` before it runs and it never will."""

    __slots__ = ("cancelled", "due", "fn")

    def __init__(self, due: float, fn: Callable[[], object]) -> None:
        self.due = due
        self.fn = fn
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Scheduler(Protocol):
    @property
    def clock(self) -> Clock: ...

    def call_soon(self, fn: Callable[[], object]) -> Handle:
        """Run ``fn`` on the scheduler's thread as soon as it is free."""
        ...

    def call_later(self, delay_s: float, fn: Callable[[], object]) -> Handle:
        """Run ``fn`` on the scheduler's thread ``delay_s`` seconds from now."""
        ...

    def call_and_wait(self, fn: Callable[[], T], timeout_s: float) -> T:
        """Run ``fn`` on the scheduler's thread and return its result; raise TimeoutError
        if it has not finished within ``timeout_s`` (it may still run later)."""
        ...

    def close(self, timeout_s: float) -> bool:
        """Drop pending calls, let the running one finish (up to ``timeout_s``); later
        calls are ignored. True if nothing is running any more."""
        ...


class ThreadScheduler:
    """One daemon thread running callbacks from a timer heap (monotonic clock).

    A callback that raises is logged with its traceback; the thread goes on.
    """

    def __init__(self, name: str, clock: Clock = SYSTEM_CLOCK) -> None:
        self.name = name
        self._clock = clock
        self._heap: list[tuple[float, int, Handle]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    @property
    def clock(self) -> Clock:
        return self._clock

    def call_soon(self, fn: Callable[[], object]) -> Handle:
        return self.call_later(0.0, fn)

    def call_later(self, delay_s: float, fn: Callable[[], object]) -> Handle:
        handle = Handle(self._clock.monotonic() + max(delay_s, 0.0), fn)
        with self._cond:
            if self._closed:
                log.debug("%s is closed; a call was dropped", self.name)
                handle.cancel()
                return handle
            heapq.heappush(self._heap, (handle.due, next(self._order), handle))
            self._cond.notify()
        return handle

    def call_and_wait(self, fn: Callable[[], T], timeout_s: float) -> T:
        if threading.current_thread() is self._thread:
            return fn()
        done = threading.Event()
        outcome: list[T] = []
        failure: list[BaseException] = []

        def run() -> None:
            try:
                outcome.append(fn())
            except BaseException as exc:  # noqa: BLE001 - re-raised in the waiting thread
                failure.append(exc)
            finally:
                done.set()

        handle = self.call_soon(run)
        if handle.cancelled:
            raise TimeoutError(f"{self.name} is closed")
        if not done.wait(timeout_s):
            raise TimeoutError(f"{self.name} did not finish the call within {timeout_s:g} s")
        if failure:
            raise failure[0]
        return outcome[0]

    def close(self, timeout_s: float) -> bool:
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._cond.notify()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _next(self) -> Handle | None:
        """The next due call, waiting for it; None once closed."""
        with self._cond:
            while not self._closed:
                if not self._heap:
                    self._cond.wait()
                    continue
                due, _, handle = self._heap[0]
                if handle.cancelled:
                    heapq.heappop(self._heap)
                    continue
                wait = due - self._clock.monotonic()
                if wait <= 0:
                    heapq.heappop(self._heap)
                    return handle
                self._cond.wait(wait)
            return None

    def _loop(self) -> None:
        while (handle := self._next()) is not None:
            if handle.cancelled:
                continue
            try:
                handle.fn()
            except Exception:
                log.exception("a scheduled call on %s failed", self.name)
