"""The supervisor: keeps the backend up and says, at every step, what it is doing and why.

States (:class:`State`) and what moves between them (embedded mode)::

    stopped  --start-->  starting  --first health answer-->  running | degraded
    running  <--health pass / warn or fail-->  degraded
    starting | running | degraded  --thread ended / start failed / N polls missed-->  failed
    failed   --fast failures < limit-->  backoff  --delay-->  starting
    failed   --fast failures = limit-->  fatal    --every 5 min-->  starting
    any      --stop / quit-->  stopping  -->  stopped
    any      --restart-->  stopping  -->  starting  (graceful stop, fresh app, start)

A restart may bring new backend settings (the tray read ``vigia.toml`` again after its
settings window changed it): the runner gets them between the stop and the start, so the
fresh app runs with them (a new port, database, backup schedule ...).

``degraded`` means the backend answers but its health is ``warn`` or ``fail`` (its
database is down, a router failed, the disk is full): a restart would not fix that, and
the backend retries its database by itself, so the supervisor does not restart it.

Remote mode (a backend on another machine) uses the same states but owns no process:
``failed`` lasts until the backend answers again (no backoff, no fatal), and a restart is
a request to the backend's admin API.

Every transition is logged with its reason and emitted as ``state_changed``. All the
work happens on the supervisor's scheduler thread (blocking starts and stops included),
so the state needs no lock; public methods may be called from any thread and return at
once, except :meth:`shutdown`, which waits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING

from desktop.core.config import DesktopConfig
from desktop.core.errors import RemoteError
from desktop.core.remote import RemoteBackend
from desktop.core.restart_policy import RestartPolicy
from desktop.core.runner import Runner
from desktop.core.samples import Sample
from desktop.core.scheduler import Handle, Scheduler, ThreadScheduler
from desktop.core.signals import Signal
from embedded_backend.errors import Error as BackendError

if TYPE_CHECKING:
    from embedded_backend.config import Settings

log = logging.getLogger(__name__)


class State(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    DEGRADED = "degraded"
    FAILED = "failed"
    BACKOFF = "backoff"
    FATAL = "fatal"
    STOPPING = "stopping"


UP_STATES = frozenset({State.RUNNING, State.DEGRADED})
DOWN_STATES = frozenset({State.FAILED, State.BACKOFF, State.FATAL})
_WATCHING = frozenset({State.STARTING, State.RUNNING, State.DEGRADED})


@dataclass(frozen=True)
class Transition:
    old: State
    new: State
    reason: str
    at: float  # wall time
    failures: int  # fast failures in a row so far (always 0 in remote mode)
    retry_in_s: float | None = None  # backoff and fatal: when the next attempt is
    owned: bool = True  # False in remote mode

    @property
    def down(self) -> bool:
        """The backend is not serving and nobody asked for that: failed, retrying after
        a failure (backoff, fatal, or starting again after one)."""
        return self.new in DOWN_STATES or (self.new is State.STARTING and self.failures > 0)


def _why(exc: Exception) -> str:
    if isinstance(exc, BackendError):
        return str(exc)  # written for people
    return f"unexpected {type(exc).__name__}; see the log"


class Supervisor:
    def __init__(
        self,
        runner: Runner | None = None,
        remote: RemoteBackend | None = None,
        *,
        scheduler: Scheduler | None = None,
        config: DesktopConfig | None = None,
        policy: RestartPolicy | None = None,
        remote_restart_timeout_s: float = 60.0,
    ) -> None:
        """Give ``runner`` (embedded mode) or ``remote`` (remote mode). The supervisor
        owns ``scheduler`` (a ThreadScheduler by default) and closes it at shutdown."""
        if (runner is None) == (remote is None):
            raise ValueError("give either a runner (embedded) or a remote backend")
        self._runner = runner
        self._remote = remote
        self._sched: Scheduler = scheduler or ThreadScheduler("vigia-supervisor")
        self._clock = self._sched.clock
        self.config = config or DesktopConfig()
        self.policy = policy or RestartPolicy()
        self.remote_restart_timeout_s = remote_restart_timeout_s
        # Emitted on the supervisor's thread.
        self.state_changed: Signal[Transition] = Signal("state_changed")
        # The embedded backend accepts connections at this URL (poll it now).
        self.listening_started: Signal[str] = Signal("listening_started")
        self.request_failed: Signal[str] = Signal("request_failed")  # plain words
        self._state = State.STOPPED
        self._reason = "not started yet"
        self._failures = 0
        self._generation = 0  # one per start; callbacks of older starts are ignored
        self._timer: Handle | None = None  # the next retry, or a remote restart deadline
        self._reset_timer: Handle | None = None
        self._accept_after: float | None = None  # samples sent before this are stale
        self._misses = 0
        self._url: str | None = remote.url if remote is not None else None
        self._restart_requested_at: float | None = None  # remote restart in progress
        self._next_settings: Settings | None = None  # for the runner's next start
        self._seen_down = False
        self._last_uptime: tuple[float, float] | None = None  # (uptime, sample's mono)
        self._uptime_at_request: tuple[float, float] | None = None
        self._closed = False

    # -- queries (any thread) -----------------------------------------------------
    @property
    def state(self) -> State:
        return self._state

    @property
    def reason(self) -> str:
        """Why the supervisor is in its state, in words."""
        return self._reason

    @property
    def failures(self) -> int:
        return self._failures

    @property
    def owns_process(self) -> bool:
        return self._runner is not None

    @property
    def url(self) -> str | None:
        """The backend's address; None until the embedded backend first listens."""
        return self._url

    # -- commands (any thread; return at once) ----------------------------------------
    def start(self) -> None:
        self._post(self._cmd_start)

    def stop(self, reason: str = "stopped from the tray") -> None:
        self._post(partial(self._cmd_stop, reason))

    def restart(
        self, reason: str = "restart asked from the tray", settings: Settings | None = None
    ) -> None:
        """Graceful stop, fresh app, start. With ``settings`` (embedded mode) the fresh
        app runs with them, and so do the starts after it; a backend on another computer
        reads its own settings, so remote mode ignores them."""
        self._post(partial(self._cmd_restart, reason, settings))

    def on_sample(self, sample: Sample) -> None:
        """Feed a health sample (connect the poller's ``sample_taken`` here)."""
        self._post(partial(self._on_sample, sample))

    def shutdown(self, timeout_s: float | None = None) -> bool:
        """Quit, logoff, shutdown: graceful stop, then close. Blocks until the backend
        stopped or ``timeout_s`` passed (default: the stop deadline, 30 s if the backend
        decides it, plus 20 s for the forced stop). True if the backend stopped."""
        if self._closed:
            return self._state is State.STOPPED
        if timeout_s is None:
            timeout_s = (self.config.stop_timeout_s or 30.0) + 20

        def stop_for_good() -> bool:
            stopped = self._cmd_stop("Vigia is quitting")
            self._closed = True
            return stopped

        try:
            stopped = self._sched.call_and_wait(stop_for_good, timeout_s)
        except TimeoutError:
            log.error("the backend did not stop within %.0f s; quitting anyway", timeout_s)
            stopped = False
        self._closed = True
        self._sched.close(5.0)
        if self._remote is not None:
            self._remote.close()
        return stopped

    def _post(self, fn: Callable[[], object]) -> None:
        if self._closed:
            log.debug("supervisor closed; ignoring %s", getattr(fn, "func", fn))
            return
        self._sched.call_soon(fn)

    # -- transitions -------------------------------------------------------------------
    def _set(self, new: State, reason: str, retry_in_s: float | None = None) -> None:
        old = self._state
        self._state, self._reason = new, reason
        level = {State.FAILED: logging.WARNING, State.FATAL: logging.ERROR}.get(new, logging.INFO)
        log.log(level, "backend %s -> %s: %s", old, new, reason)
        self.state_changed.emit(
            Transition(
                old, new, reason, self._clock.time(), self._failures, retry_in_s, self.owns_process
            )
        )

    def _cancel_timers(self) -> None:
        for handle in (self._timer, self._reset_timer):
            if handle is not None:
                handle.cancel()
        self._timer = self._reset_timer = None

    # -- commands, on the supervisor's thread --------------------------------------
    def _cmd_start(self) -> None:
        if self._closed or self._state in (*_WATCHING, State.STOPPING):
            return
        if self._state is State.FAILED and self._remote is not None:
            return  # already watching; it answers again when it answers
        self._cancel_timers()
        self._failures = 0  # the user asked: the full backoff sequence again
        if self._remote is not None:
            self._watch("watching " + self._remote.url)
        else:
            self._launch("started from the tray")

    def _cmd_stop(self, reason: str) -> bool:
        self._cancel_timers()
        self._restart_requested_at = None
        if self._state is State.STOPPED:
            return True
        self._set(State.STOPPING, reason)
        self._accept_after = None
        self._generation += 1
        stopped = self._stop_runner()
        self._set(
            State.STOPPED,
            "stopped" if stopped else "stopped; the backend thread did not end in time",
        )
        return stopped

    def _cmd_restart(self, reason: str, settings: Settings | None = None) -> None:
        if self._closed:
            return
        if self._remote is not None:
            self._remote_restart(reason)
            return
        if settings is not None:
            self._next_settings = settings
        self._cancel_timers()
        self._failures = 0
        if self._state not in (State.STOPPED, State.BACKOFF, State.FATAL):
            self._set(State.STOPPING, f"restarting: {reason}")
            self._generation += 1
            self._stop_runner()
        self._launch(f"restarting: {reason}")

    def _stop_runner(self) -> bool:
        if self._runner is None:
            return True
        stopped = self._runner.stop(self.config.stop_timeout_s)
        if not stopped:
            log.error(
                "the backend thread did not end after a graceful and a forced stop: it is "
                "stuck (something blocks it); the next start takes its port once it lets go"
            )
        return stopped

    # -- embedded mode -------------------------------------------------------------
    def _launch(self, reason: str) -> None:
        runner = self._runner
        assert runner is not None
        self._cancel_timers()
        self._generation += 1
        generation = self._generation
        self._accept_after = None
        self._misses = 0
        self._set(State.STARTING, reason)

        def exited(why: str | None) -> None:  # on the server thread, as it ends
            self._post(partial(self._on_exit, generation, why))

        runner.on_exit = exited
        runner.on_restart_request = self._on_restart_request
        try:
            if self._next_settings is not None and not runner.alive:
                # Not while a stuck thread of the old app lives on: the start below fails
                # then, and a later start applies them.
                runner.configure(self._next_settings)
                self._next_settings = None
            runner.start()
        except Exception as exc:  # any failure to start is a state, not a crash
            if isinstance(exc, BackendError):
                log.warning("the backend could not start: %s", exc)
            else:
                log.exception("the backend could not start")
            self._fail(f"the backend could not start: {_why(exc)}")
            return
        self._url = runner.url
        self._accept_after = self._clock.monotonic()
        log.info("backend listening on %s; waiting for its first health answer", self._url)
        self.listening_started.emit(self._url)

    def _on_restart_request(self, actor: str) -> bool:
        """The admin API asked for a restart (called on a request thread)."""
        if self._closed:
            return False
        self.restart(f"requested by {actor} through the admin API")
        return True

    def _on_exit(self, generation: int, why: str | None) -> None:
        if generation != self._generation or self._state not in _WATCHING:
            return  # a stop we asked for, or a start that already failed
        self._fail(why or "the backend stopped without being asked to")

    def _fail(self, reason: str) -> None:
        """The backend died, hangs or did not start: stop what is left, then retry."""
        assert self._runner is not None
        self._cancel_timers()
        self._accept_after = None
        self._failures += 1
        self._set(State.FAILED, reason)
        if self._runner.alive:  # hanging: it must go before a fresh one can start
            self._stop_runner()
        else:
            self._runner.stop(self.config.stop_timeout_s)  # tidy up (run file); at once
        if self.policy.is_fatal(self._failures):
            wait = self.policy.slow_retry_s
            self._set(
                State.FATAL,
                f"the backend failed {self._failures} times in a row; trying again every "
                f"{wait / 60:g} min, or when asked",
                retry_in_s=wait,
            )
        else:
            wait = self.policy.delay(self._failures)
            self._set(State.BACKOFF, f"restarting in {wait:g} s", retry_in_s=wait)
        self._timer = self._sched.call_later(wait, self._retry)

    def _retry(self) -> None:
        self._timer = None
        if self._closed or self._state not in (State.BACKOFF, State.FATAL):
            return
        kind = "slow retry" if self._state is State.FATAL else "retry"
        self._launch(f"{kind} after {self._failures} failure(s) in a row")

    def _healthy_for_long(self, generation: int) -> None:
        self._reset_timer = None
        if generation == self._generation and self._state in UP_STATES and self._failures:
            log.info(
                "backend healthy for %g s; restart counter reset (was %d)",
                self.policy.healthy_reset_s,
                self._failures,
            )
            self._failures = 0

    # -- remote mode ------------------------------------------------------------------
    def _watch(self, reason: str) -> None:
        self._generation += 1
        self._misses = 0
        self._accept_after = self._clock.monotonic()
        self._set(State.STARTING, reason)

    def _remote_restart(self, reason: str) -> None:
        assert self._remote is not None
        try:
            self._remote.request_restart()
        except RemoteError as exc:
            log.warning("restart of the backend at %s not done: %s", self._remote.url, exc)
            self.request_failed.emit(str(exc))
            return
        self._cancel_timers()
        self._restart_requested_at = self._clock.monotonic()
        self._seen_down = False
        self._uptime_at_request = self._last_uptime
        self._watch(f"restart requested at {self._remote.url}: {reason}")
        self._timer = self._sched.call_later(
            self.remote_restart_timeout_s, partial(self._remote_restart_late, self._generation)
        )

    def _remote_restart_late(self, generation: int) -> None:
        self._timer = None
        if generation != self._generation or self._restart_requested_at is None:
            return
        self._restart_requested_at = None
        self._set(
            State.FAILED,
            f"the backend did not come back within {self.remote_restart_timeout_s:g} s of "
            "the restart request",
        )

    def _is_fresh_instance(self, sample: Sample) -> bool:
        """After a remote restart: does this answer come from the new instance? Yes once
        the backend was seen down, or when its uptime went back (the old instance, still
        finishing its requests, keeps counting)."""
        if self._seen_down:
            return True
        uptime, before = sample.uptime_s, self._uptime_at_request
        if uptime is None or before is None:  # status only (no token): wait to see it down
            return False
        old_uptime_now = before[0] + (sample.mono - before[1])
        return uptime + 1.5 < old_uptime_now  # uptimes are rounded to the second

    # -- health samples -------------------------------------------------------------
    def _on_sample(self, sample: Sample) -> None:
        if self._accept_after is None or sample.mono < self._accept_after:
            return  # not watching, or sent before this run began
        remote = self._remote is not None
        if self._state not in _WATCHING and not (remote and self._state is State.FAILED):
            return
        if not sample.answered:
            self._missed(sample)
            return
        self._misses = 0
        if self._restart_requested_at is not None:
            if not self._is_fresh_instance(sample):
                return  # the old instance, still finishing its requests
            self._restart_requested_at = None
            self._cancel_timers()
        if sample.uptime_s is not None:
            self._last_uptime = (sample.uptime_s, sample.mono)
        self._answered(sample)

    def _missed(self, sample: Sample) -> None:
        self._misses += 1
        if self._restart_requested_at is not None:
            self._seen_down = True  # expected while it restarts; the deadline decides
            return
        if self._misses < self.config.missed_polls or self._state is State.FAILED:
            return
        reason = (
            f"the backend stopped answering ({self._misses} health checks in a row: "
            f"{sample.output or 'no answer'})"
        )
        if self._remote is not None:
            self._set(State.FAILED, reason)
        else:
            self._fail(reason)

    def _answered(self, sample: Sample) -> None:
        new = State.RUNNING if sample.status == "pass" else State.DEGRADED
        if new is self._state:
            return
        if new is State.RUNNING:
            reason = "health checks pass"
        else:
            detail = sample.output or "see the health details"
            reason = f"the backend answers but reports {sample.status}: {detail}"
        old = self._state
        self._set(new, reason)
        if old is State.STARTING and self._failures and self._runner is not None:
            self._reset_timer = self._sched.call_later(
                self.policy.healthy_reset_s, partial(self._healthy_for_long, self._generation)
            )
