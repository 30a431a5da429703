"""Working stand-ins for the desktop core's tests: a fake clock, a scheduler driven by
hand on that clock, a runner without a server, and sample builders."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import TypeVar

from desktop.core.samples import Check, RouterCheck, Sample, Status
from desktop.core.scheduler import Handle
from desktop.core.supervisor import State, Supervisor, Transition
from embedded_backend.config import Settings
from embedded_backend.errors import ServerStartError

T = TypeVar("T")


class FakeClock:
    """Monotonic and wall time that move only when told."""

    def __init__(self, mono: float = 1000.0, wall: float = 1_800_000_000.0) -> None:
        self.mono = mono
        self.wall = wall

    def monotonic(self) -> float:
        return self.mono

    def time(self) -> float:
        return self.wall

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += seconds


class ManualScheduler:
    """The Scheduler protocol on a FakeClock, run by the test: ``run()`` runs what is due,
    ``advance(s)`` moves time forward running each call at its due time."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self._clock = clock or FakeClock()
        self._heap: list[tuple[float, int, Handle]] = []
        self._order = itertools.count()
        self.closed = False

    @property
    def clock(self) -> FakeClock:
        return self._clock

    def call_soon(self, fn: Callable[[], object]) -> Handle:
        return self.call_later(0.0, fn)

    def call_later(self, delay_s: float, fn: Callable[[], object]) -> Handle:
        handle = Handle(self._clock.mono + max(delay_s, 0.0), fn)
        if self.closed:
            handle.cancel()
            return handle
        heapq.heappush(self._heap, (handle.due, next(self._order), handle))
        return handle

    def call_and_wait(self, fn: Callable[[], T], timeout_s: float) -> T:
        self.run()
        return fn()

    def close(self, timeout_s: float) -> bool:
        self.closed = True
        self._heap.clear()
        return True

    def run(self) -> None:
        """Run every call due now, including the ones they schedule for now."""
        self._run_until(self._clock.mono)

    def advance(self, seconds: float) -> None:
        target = self._clock.mono + seconds
        self._run_until(target)
        if target > self._clock.mono:  # a callback may have moved the clock past it
            self._clock.advance(target - self._clock.mono)

    def _run_until(self, target: float) -> None:
        while self._heap and self._heap[0][0] <= target:
            due, _, handle = heapq.heappop(self._heap)
            if handle.cancelled:
                continue
            if due > self._clock.mono:
                self._clock.advance(due - self._clock.mono)
            handle.fn()

    @property
    def pending(self) -> list[float]:
        """Due times (relative to now) of the calls not cancelled, soonest first."""
        return sorted(h.due - self._clock.mono for _, _, h in self._heap if not h.cancelled)


class FakeRunner:
    """The Runner protocol without a server: the test decides how starts end."""

    def __init__(self, port: int = 8002) -> None:
        self.on_exit: Callable[[str | None], None] | None = None
        self.on_restart_request: Callable[[str], bool] | None = None
        self.port = port
        self._alive = False
        self.starts = 0
        self.stops: list[float | None] = []
        self.start_errors: list[Exception] = []  # raised by the next starts, in order
        self.stuck = False  # stop() cannot end the thread
        self.configured: list[Settings] = []  # settings given by configure(), in order

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self._alive

    def start(self, deadline_s: float | None = None) -> int:
        if self._alive:
            raise ServerStartError("the server is already running")
        self.starts += 1
        if self.start_errors:
            raise self.start_errors.pop(0)
        self._alive = True
        return self.port

    def stop(self, timeout_s: float | None = None) -> bool:
        self.stops.append(timeout_s)
        if self.stuck and self._alive:  # a thread that already ended stops at once
            return False
        was_alive, self._alive = self._alive, False
        if was_alive and self.on_exit is not None:
            self.on_exit(None)
        return True

    def configure(self, settings: Settings) -> None:
        if self._alive:
            raise ServerStartError("the server is running; stop it before configuring it")
        self.configured.append(settings)
        self.port = settings.port or self.port

    def crash(self, reason: str = "the server thread crashed (RuntimeError)") -> None:
        """The server thread ends on its own."""
        self._alive = False
        assert self.on_exit is not None
        self.on_exit(reason)


def sample(
    clock: FakeClock,
    status: Status = "pass",
    *,
    latency_ms: float | None = 5.0,
    db: str = "pass",
    disk: tuple[str, float] = ("pass", 40.0),
    backup: tuple[str, float | None] = ("pass", 2.0),
    routers: tuple[RouterCheck, ...] = (),
    uptime_s: float | None = 100.0,
    output: str | None = None,
) -> Sample:
    """A sample sent now; ``status="down"`` gives one without an answer."""
    if status == "down":
        return Sample(clock.time(), clock.monotonic(), "down", output=output or "no answer")
    checks = {
        "database:responseTime": Check(db, 1.5 if db == "pass" else None, "ms"),
        "disk:utilization": Check(disk[0], disk[1], "percent"),
        "backup:age": Check(backup[0], backup[1], "h"),
    }
    if uptime_s is not None:
        checks["uptime"] = Check("pass", uptime_s, "s")
    return Sample(
        clock.time(),
        clock.monotonic(),
        status,
        latency_ms=latency_ms,
        http_status=503 if status == "fail" else 200,
        output=output,
        checks=checks,
        routers=routers,
    )


class Seen:
    """Transitions as they were emitted, with the fake monotonic time of each."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.items: list[tuple[float, Transition]] = []

    def __call__(self, transition: Transition) -> None:
        self.items.append((self.clock.monotonic(), transition))

    @property
    def states(self) -> list[State]:
        return [t.new for _, t in self.items]

    def last(self, state: State) -> Transition:
        return next(t for _, t in reversed(self.items) if t.new is state)

    def times(self, state: State) -> list[float]:
        return [at for at, t in self.items if t.new is state]

    def clear(self) -> None:
        self.items.clear()


def feed(sup: Supervisor, sched: ManualScheduler, *samples: object) -> None:
    for s in samples:
        sup.on_sample(s)  # type: ignore[arg-type]
        sched.run()
