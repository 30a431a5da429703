"""The supervisor's state machine (embedded mode) as a Hypothesis rule-based machine.

Hypothesis drives a real :class:`Supervisor` through random sequences of what happens to
a tray: the user starts, stops and restarts, the server thread crashes or fails to start,
stops ending when asked (stuck) and later ends, health polls pass/warn/fail/miss, time
passes (timers fire), Vigia quits. The runner is the supervisor's dependency, so it is the
fake of tests/desktop/fakes.py (extended here to count live servers); the clock and the
scheduler are the manual ones, so every timer is deterministic.

The oracle is the transition table of the supervisor's docstring, the restart policy
(restart_policy.py) and a model of the fast-failure counter kept by this test.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from desktop.core.restart_policy import RestartPolicy
from desktop.core.samples import Status
from desktop.core.supervisor import UP_STATES, State, Supervisor, Transition
from embedded_backend.errors import PortInUseError, ServerStartError
from tests.desktop.fakes import FakeRunner, ManualScheduler, sample

S = State

# The docstring's table, written out (embedded mode). ``any --stop / quit / restart-->
# stopping``; a restart from stopped, backoff or fatal has nothing to stop and starts.
ALLOWED: dict[State, frozenset[State]] = {
    S.STOPPED: frozenset({S.STARTING}),
    S.STARTING: frozenset({S.RUNNING, S.DEGRADED, S.FAILED, S.STOPPING}),
    S.RUNNING: frozenset({S.DEGRADED, S.FAILED, S.STOPPING}),
    S.DEGRADED: frozenset({S.RUNNING, S.FAILED, S.STOPPING}),
    S.FAILED: frozenset({S.BACKOFF, S.FATAL, S.STOPPING}),
    S.BACKOFF: frozenset({S.STARTING, S.STOPPING}),
    S.FATAL: frozenset({S.STARTING, S.STOPPING}),
    S.STOPPING: frozenset({S.STOPPED, S.STARTING}),
}


START_ERRORS: dict[str, Callable[[], Exception]] = {
    "port in use": lambda: PortInUseError("127.0.0.1", 8002, "pid 42 (other.exe)"),
    "start error": lambda: ServerStartError("the database URL is not valid"),
    "unexpected": lambda: RuntimeError("boom"),
}


class CountingRunner(FakeRunner):
    """The fake runner, counting servers alive at once and starts asked while one lives."""

    def __init__(self) -> None:
        super().__init__()
        self.most_alive = 0
        self.starts_while_alive = 0
        self.attempts = 0  # start() calls, refused ones included (``starts`` omits those)

    def start(self, deadline_s: float | None = None) -> int:
        self.attempts += 1
        if self.alive:
            self.starts_while_alive += 1
        port = super().start(deadline_s)
        self.most_alive = max(self.most_alive, int(self.alive))
        return port


class SupervisorMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.sched = ManualScheduler()
        self.clock = self.sched.clock
        self.runner = CountingRunner()
        self.policy = RestartPolicy()
        self.sup = Supervisor(self.runner, scheduler=self.sched, policy=self.policy)
        self.seen: list[Transition] = []
        self.sup.state_changed.connect(self.seen.append)
        self.checked = 0  # transitions already checked against the table
        self.failures = 0  # the model of the fast-failure counter
        self.held = False  # stop or quit asked and not undone by a start/restart since
        self.closed = False
        self.was_stuck = False  # a thread refused to end: a start may then find it alive
        self.up_since: float | None = None  # when this run became healthy (mono)

    # -- helpers ------------------------------------------------------------------------
    def settle(self) -> None:
        """Run what is due now, then check every new transition."""
        self.sched.run()
        for t in self.seen[self.checked :]:
            previous = self.seen[self.checked - 1].new if self.checked else S.STOPPED
            assert t.old is previous, (t, previous)
            assert t.new in ALLOWED[t.old], f"{t.old} -> {t.new} is not in the table ({t})"
            self.follow(t)
            self.checked += 1

    def follow(self, t: Transition) -> None:
        """Keep the model in step and check what each transition says."""
        event(f"reached {t.new}")
        if t.new is S.FAILED:
            self.failures += 1
        assert t.failures == self.failures, (t, self.failures)
        if t.new is S.FATAL:
            assert self.policy.is_fatal(self.failures) and t.retry_in_s == self.policy.slow_retry_s
        if t.new is S.BACKOFF:
            assert not self.policy.is_fatal(self.failures)
            assert t.retry_in_s == self.policy.delay(self.failures)
        if t.new in UP_STATES and t.old is S.STARTING:
            self.up_since = self.clock.monotonic()
        elif t.new not in UP_STATES:
            self.up_since = None
        if self.held:
            assert t.new in (S.STOPPING, S.STOPPED), f"started by itself after a stop: {t}"

    def command(self, resets: bool) -> None:
        """A start or restart the supervisor acts on: a fresh failure count."""
        if not self.closed:
            self.held = False
            if resets:
                self.failures = 0

    # -- rules: the user ------------------------------------------------------------------
    @rule()
    def start(self) -> None:
        acts = self.sup.state not in (S.STARTING, S.RUNNING, S.DEGRADED, S.STOPPING)
        self.command(resets=acts)
        self.sup.start()
        self.settle()

    @rule()
    def stop(self) -> None:
        self.sup.stop()
        if not self.closed:
            self.held = True
        self.settle()
        assert self.sup.state is S.STOPPED

    @rule()
    def restart(self) -> None:
        self.command(resets=True)
        self.sup.restart()
        self.settle()

    @rule()
    def quit(self) -> None:
        already_stopped = self.sup.state is S.STOPPED
        stopped = self.sup.shutdown(timeout_s=5)
        self.held = self.closed = True
        self.settle()
        assert self.sup.state is S.STOPPED
        if not already_stopped:
            assert stopped == (not self.runner.alive)
        # else: True even if an earlier stop left a stuck thread (that stop reported it);
        # the real ServerRunner forgets a thread it gave up on, so "alive" cannot tell.

    # -- rules: the server thread ---------------------------------------------------------
    @precondition(lambda self: self.runner.alive)
    @rule()
    def thread_crashes(self) -> None:
        self.runner.crash()
        self.settle()

    @rule(error=st.sampled_from(["port in use", "start error", "unexpected"]))
    def next_start_fails(self, error: str) -> None:
        self.runner.start_errors.append(START_ERRORS[error]())

    @rule(stuck=st.booleans())
    def thread_stuck(self, stuck: bool) -> None:
        """Stops do (not) end the thread from now on."""
        self.runner.stuck = stuck
        self.was_stuck |= stuck

    # -- rules: health and time -----------------------------------------------------------
    @rule(status=st.sampled_from(["pass", "warn", "fail", "down"]))
    def health_sample(self, status: Status) -> None:
        self.sup.on_sample(sample(self.clock, status))
        self.settle()

    @rule(
        seconds=st.one_of(
            st.sampled_from([0.0, 1.0, 2.0, 4.0, 29.9, 30.0, 60.0, 300.0]),
            st.floats(0, 400, allow_nan=False),
        )
    )
    def time_passes(self, seconds: float) -> None:
        state, attempts = self.sup.state, self.runner.attempts
        retry = self.seen[-1].retry_in_s if self.seen else None
        self.sched.advance(seconds)
        self.settle()
        if state in (S.BACKOFF, S.FATAL) and not self.closed:
            assert retry is not None
            if seconds >= retry:  # the retry was due: it happened
                assert self.runner.attempts > attempts, (state, retry, seconds)

    @rule(polls=st.integers(1, 12))
    def polled_healthy(self, polls: int) -> None:
        """The poller's rhythm: a passing answer every 5 s (the common case, long runs)."""
        for _ in range(polls):
            self.sup.on_sample(sample(self.clock, "pass"))
            self.settle()
            self.sched.advance(5.0)
            self.settle()

    # -- invariants -----------------------------------------------------------------------
    @invariant()
    def state_is_a_state(self) -> None:
        assert isinstance(self.sup.state, State)
        assert self.sup.failures == self.failures

    @invariant()
    def never_two_servers(self) -> None:
        assert self.runner.most_alive <= 1
        if not self.was_stuck:  # a stuck thread is the one case a start finds one alive
            assert self.runner.starts_while_alive == 0

    @invariant()
    def a_server_runs_exactly_when_it_should(self) -> None:
        state = self.sup.state
        if state in UP_STATES:
            assert self.runner.alive
        if not self.was_stuck and state in (S.STOPPED, S.BACKOFF, S.FATAL):
            assert not self.runner.alive

    @invariant()
    def after_a_failure_a_retry_is_always_scheduled(self) -> None:
        if self.sup.state in (S.BACKOFF, S.FATAL):
            last = self.seen[-1]
            assert last.new is self.sup.state and last.retry_in_s is not None
            assert self.sched.pending, "failed with no retry scheduled"
            assert self.sched.pending[0] <= last.retry_in_s + 1e-6  # float due times
        assert self.sup.state is not S.FAILED  # failed always moves on at once

    @invariant()
    def after_stop_nothing_starts_by_itself(self) -> None:
        if self.held:
            assert self.sup.state is S.STOPPED
            assert not self.sched.pending, self.sched.pending

    @invariant()
    def healthy_for_long_resets_the_counter(self) -> None:
        up_since = self.up_since
        if (
            up_since is not None
            and self.clock.monotonic() >= up_since + self.policy.healthy_reset_s
        ):
            if self.failures:
                event("failure counter reset after a healthy run")
            self.failures = 0  # the model: the reset is due
            assert self.sup.failures == 0
        # (a counter reset at any other time fails state_is_a_state's comparison)


SupervisorMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None
)
test_supervisor_state_machine = SupervisorMachine.TestCase
