"""The supervisor's state machine in embedded mode, on a fake runner and a fake clock:
every transition, the restart policy's timing, hang detection, stop/restart/shutdown."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from desktop.core.config import DesktopConfig
from desktop.core.restart_policy import RestartPolicy
from desktop.core.supervisor import State, Supervisor
from embedded_backend.config import Settings
from embedded_backend.errors import PortInUseError, ServerStartError
from tests.desktop.fakes import FakeClock, FakeRunner, ManualScheduler, Seen, feed, sample

S = State


@pytest.fixture
def make(runner: FakeRunner, sched: ManualScheduler, seen: Seen) -> Callable[..., Supervisor]:
    def make(**kwargs: object) -> Supervisor:
        sup = Supervisor(runner, scheduler=sched, **kwargs)  # type: ignore[arg-type]
        sup.state_changed.connect(seen)
        return sup

    return make


def running(sup: Supervisor, sched: ManualScheduler, clock: FakeClock) -> None:
    sup.start()
    sched.run()
    feed(sup, sched, sample(clock))
    assert sup.state is S.RUNNING


# -- start, health ----------------------------------------------------------------------
def test_start_is_running_after_the_first_health_answer(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    runner: FakeRunner,
    seen: Seen,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sup = make()
    urls: list[str] = []
    sup.listening_started.connect(urls.append)
    assert sup.state is S.STOPPED and sup.url is None
    caplog.set_level(logging.INFO, "desktop.core.supervisor")
    sup.start()
    sched.run()
    assert sup.state is S.STARTING and runner.starts == 1 and runner.alive
    assert urls == [runner.url] and sup.url == runner.url
    feed(sup, sched, sample(clock))
    assert seen.states == [S.STARTING, S.RUNNING]
    assert seen.items[0][1].old is S.STOPPED and seen.items[1][1].old is S.STARTING
    assert sup.reason == "health checks pass"
    messages = [r.getMessage() for r in caplog.records]
    assert "backend stopped -> starting: started from the tray" in messages
    assert "backend starting -> running: health checks pass" in messages
    sup.start()  # already running: nothing happens
    sched.run()
    assert runner.starts == 1 and seen.states == [S.STARTING, S.RUNNING]


def test_warn_or_fail_health_is_degraded_and_not_restarted(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    runner: FakeRunner,
    seen: Seen,
) -> None:
    sup = make()
    running(sup, sched, clock)
    feed(sup, sched, sample(clock, "warn", output="router whatsapp failed to load"))
    assert sup.state is S.DEGRADED
    assert "reports warn: router whatsapp failed to load" in sup.reason
    feed(sup, sched, sample(clock, "fail", db="fail"), sample(clock, "fail", db="fail"))
    assert sup.state is S.DEGRADED  # one transition, not one per sample
    feed(sup, sched, sample(clock))
    assert seen.states == [S.STARTING, S.RUNNING, S.DEGRADED, S.RUNNING]
    sched.advance(600)
    assert runner.starts == 1 and runner.stops == []


# -- failures and the restart policy --------------------------------------------------
def test_thread_death_is_seen_at_once_and_the_first_retry_is_immediate(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    runner: FakeRunner,
    seen: Seen,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sup = make()
    running(sup, sched, clock)
    seen.clear()
    runner.crash("the server thread crashed (RuntimeError)")
    sched.run()  # no time passes, no health poll needed
    assert seen.states == [S.FAILED, S.BACKOFF, S.STARTING]
    failed = seen.last(S.FAILED)
    assert failed.reason == "the server thread crashed (RuntimeError)" and failed.down
    assert seen.last(S.BACKOFF).retry_in_s == 0
    assert runner.starts == 2 and sup.failures == 1
    assert any(
        r.levelno == logging.WARNING
        and r.getMessage() == "backend running -> failed: the server thread crashed (RuntimeError)"
        for r in caplog.records
    )
    feed(sup, sched, sample(clock))
    assert sup.state is S.RUNNING


def test_backoff_doubles_then_fatal_then_a_slow_retry(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    runner: FakeRunner,
    seen: Seen,
) -> None:
    runner.start_errors = [PortInUseError("127.0.0.1", 8002, "pid 42 (other.exe)")] * 7
    sup = make()
    t0 = clock.monotonic()
    sup.start()
    sched.advance(10)
    starts = [at - t0 for at in seen.times(S.STARTING)]
    assert starts == [0, 0, 1, 3, 7]  # at once, then 1, 2, 4 s
    assert [t.retry_in_s for _, t in seen.items if t.new is S.BACKOFF] == [0, 1, 2, 4]
    assert sup.state is S.FATAL and sup.failures == 5
    fatal = seen.last(S.FATAL)
    assert fatal.retry_in_s == 300 and fatal.down
    assert "failed 5 times in a row" in fatal.reason
    assert "port 8002 on 127.0.0.1 is already in use" in seen.last(S.FAILED).reason
    fatal_at = seen.times(S.FATAL)[0]
    sched.advance(fatal_at + 299 - clock.monotonic())
    assert runner.starts == 5
    sched.advance(1)
    assert runner.starts == 6 and sup.state is S.FATAL and sup.failures == 6  # failed again
    sched.advance(300)
    assert runner.starts == 7 and sup.state is S.FATAL
    sched.advance(300)  # the next slow retry starts fine
    assert runner.starts == 8 and sup.state is S.STARTING
    feed(sup, sched, sample(clock))
    assert sup.state is S.RUNNING


def test_the_cap_applies_when_more_failures_are_allowed(
    make: Callable[..., Supervisor], sched: ManualScheduler, runner: FakeRunner, seen: Seen
) -> None:
    runner.start_errors = [ServerStartError("no")] * 10
    sup = make(policy=RestartPolicy(fatal_after=10))
    sup.start()
    sched.advance(1000)
    delays = [t.retry_in_s for _, t in seen.items if t.new is S.BACKOFF]
    assert delays == [0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert RestartPolicy().delay(1) == 0 and RestartPolicy().delay(30) == 60


def test_the_counter_resets_after_30_s_healthy(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    runner: FakeRunner,
    seen: Seen,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "desktop.core.supervisor")
    sup = make()
    running(sup, sched, clock)
    runner.crash()
    sched.run()
    feed(sup, sched, sample(clock))
    assert sup.state is S.RUNNING and sup.failures == 1
    sched.advance(29)  # healthy, but not long enough
    runner.crash()
    sched.run()
    assert sup.failures == 2 and seen.last(S.BACKOFF).retry_in_s == 1
    sched.advance(1)
    feed(sup, sched, sample(clock))
    sched.advance(30)
    assert sup.failures == 0
    assert any("restart counter reset (was 2)" in r.getMessage() for r in caplog.records)
    runner.crash()
    sched.run()
    assert seen.last(S.BACKOFF).retry_in_s == 0 and sup.state is S.STARTING


def test_a_hang_is_seen_through_missed_polls(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    runner: FakeRunner,
    seen: Seen,
) -> None:
    sup = make(config=DesktopConfig(stop_timeout_s=7))
    running(sup, sched, clock)
    feed(sup, sched, sample(clock, "down"), sample(clock, "down"))
    assert sup.state is S.RUNNING  # two misses: could be a slow moment
    feed(sup, sched, sample(clock), sample(clock, "down"), sample(clock, "down"))
    assert sup.state is S.RUNNING  # an answer in between starts the count again
    feed(sup, sched, sample(clock, "down", output="no answer in time"))
    failed = seen.last(S.FAILED)
    assert failed.reason == (
        "the backend stopped answering (3 health checks in a row: no answer in time)"
    )
    assert runner.stops == [7]  # the hung server was stopped, gracefully, with the deadline
    assert sup.state is S.STARTING and runner.starts == 2


def test_a_stuck_thread_is_reported_and_retried(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    runner: FakeRunner,
    seen: Seen,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sup = make()
    running(sup, sched, clock)
    runner.stuck = True
    with caplog.at_level(logging.ERROR):
        feed(sup, sched, *(sample(clock, "down") for _ in range(3)))
    assert any(
        "did not end after a graceful and a forced stop" in r.getMessage() for r in caplog.records
    )
    # The fake refuses a second start while the old thread lives: that is a failed start.
    assert sup.state is S.BACKOFF and "already running" in seen.last(S.FAILED).reason


def test_samples_from_before_this_start_are_ignored(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    runner: FakeRunner,
) -> None:
    sup = make()
    old = [sample(clock, "down") for _ in range(5)]
    clock.advance(1)
    sup.start()
    sched.run()
    feed(sup, sched, *old)
    assert sup.state is S.STARTING and runner.starts == 1
    feed(sup, sched, sample(clock))
    assert sup.state is S.RUNNING


def test_an_unexpected_start_error_is_logged_with_its_traceback(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    runner: FakeRunner,
    seen: Seen,
    caplog: pytest.LogCaptureFixture,
) -> None:
    runner.start_errors = [RuntimeError("secret detail")]
    sup = make()
    with caplog.at_level(logging.ERROR):
        sup.start()
        sched.run()
    assert seen.states[:3] == [S.STARTING, S.FAILED, S.BACKOFF]
    reason = seen.last(S.FAILED).reason
    assert reason == "the backend could not start: unexpected RuntimeError; see the log"
    assert any(r.exc_info and "could not start" in r.getMessage() for r in caplog.records)


# -- stop, restart, shutdown ----------------------------------------------------------
def test_stop_is_graceful_and_not_a_failure(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    runner: FakeRunner,
    seen: Seen,
) -> None:
    sup = make()
    running(sup, sched, clock)
    sup.stop()
    sched.run()
    assert seen.states[-2:] == [S.STOPPING, S.STOPPED]
    assert runner.stops == [None] and not runner.alive and sup.failures == 0
    feed(sup, sched, sample(clock, "down"), sample(clock, "down"), sample(clock, "down"))
    sched.advance(3600)
    assert runner.starts == 1 and sup.state is S.STOPPED


def test_restart_is_stop_then_a_fresh_start(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    runner: FakeRunner,
    seen: Seen,
) -> None:
    sup = make()
    running(sup, sched, clock)
    runner.crash()
    sched.run()
    feed(sup, sched, sample(clock))
    assert sup.failures == 1
    seen.clear()
    sup.restart()
    sched.run()
    assert seen.states == [S.STOPPING, S.STARTING]
    assert seen.items[0][1].reason == "restarting: restart asked from the tray"
    assert runner.starts == 3 and runner.stops[-1] is None and sup.failures == 0
    feed(sup, sched, sample(clock))
    assert sup.state is S.RUNNING


def test_a_restart_with_new_settings_gives_them_to_the_runner_between_stop_and_start(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    runner: FakeRunner,
    seen: Seen,
    make_settings: Callable[..., Settings],
) -> None:
    sup = make()
    urls: list[str] = []
    sup.listening_started.connect(urls.append)
    running(sup, sched, clock)
    new = make_settings(port=8123)
    sup.restart("the settings changed", settings=new)
    sched.run()
    assert seen.states[-2:] == [S.STOPPING, S.STARTING]
    assert runner.configured == [new] and runner.starts == 2
    # The fresh app listens at the new port: the poller and the admin client follow.
    assert sup.url == "http://127.0.0.1:8123" and urls[-1] == sup.url
    # A later restart (or a retry after a crash) keeps them: nothing more to configure.
    sup.restart()
    sched.run()
    assert runner.configured == [new] and runner.starts == 3


def test_new_settings_wait_while_a_stuck_thread_blocks_the_start(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    runner: FakeRunner,
    seen: Seen,
    make_settings: Callable[..., Settings],
) -> None:
    sup = make()
    running(sup, sched, clock)
    runner.stuck = True
    new = make_settings(port=8123)
    sup.restart("the settings changed", settings=new)
    sched.run()
    assert sup.state is S.BACKOFF and runner.configured == []
    runner.stuck = False
    runner.stop()  # the old thread ends at last
    sched.advance(60)  # the retry
    assert runner.configured == [new] and sup.url == "http://127.0.0.1:8123"


def test_a_restart_asked_through_the_admin_api_goes_through_the_supervisor(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    runner: FakeRunner,
    seen: Seen,
) -> None:
    sup = make()
    running(sup, sched, clock)
    assert runner.on_restart_request is not None
    assert runner.on_restart_request("admin") is True
    sched.run()
    assert seen.states[-2:] == [S.STOPPING, S.STARTING]
    assert "requested by admin through the admin API" in seen.last(S.STOPPING).reason
    assert runner.starts == 2


def test_an_exit_reported_by_an_older_start_is_ignored(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    runner: FakeRunner,
) -> None:
    sup = make()
    running(sup, sched, clock)
    old_callback = runner.on_exit
    assert old_callback is not None
    sup.restart()
    sched.run()
    feed(sup, sched, sample(clock))
    old_callback("the server stopped unexpectedly")
    sched.run()
    assert sup.state is S.RUNNING and sup.failures == 0


def test_start_from_fatal_tries_at_once_with_a_fresh_count(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    runner: FakeRunner,
) -> None:
    runner.start_errors = [ServerStartError("no")] * 5
    sup = make()
    sup.start()
    sched.advance(10)
    assert sup.state is S.FATAL
    sup.start()
    sched.run()
    assert sup.state is S.STARTING and sup.failures == 0 and runner.starts == 6
    assert sched.pending == []  # the slow retry was cancelled


def test_shutdown_stops_the_backend_and_cancels_retries(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    runner: FakeRunner,
    seen: Seen,
) -> None:
    sup = make()
    running(sup, sched, clock)
    runner.start_errors = [ServerStartError("no")] * 3
    runner.crash()
    sched.run()
    assert sup.state is S.BACKOFF
    assert sup.shutdown() is True
    assert seen.states[-2:] == [S.STOPPING, S.STOPPED]
    assert seen.last(S.STOPPING).reason == "Vigia is quitting"
    starts = runner.starts
    sched.advance(3600)
    sup.start()
    sup.restart()
    assert runner.on_restart_request is not None and runner.on_restart_request("admin") is False
    sched.run()
    assert runner.starts == starts and sup.state is S.STOPPED and sched.closed


def test_shutdown_of_a_running_backend_waits_for_the_graceful_stop(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    runner: FakeRunner,
) -> None:
    sup = make(config=DesktopConfig(stop_timeout_s=3))
    running(sup, sched, clock)
    assert sup.shutdown() is True
    assert runner.stops == [3] and not runner.alive


def test_shutdown_reports_a_backend_that_did_not_stop(
    make: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    runner: FakeRunner,
) -> None:
    sup = make()
    running(sup, sched, clock)
    runner.stuck = True
    assert sup.shutdown() is False
    assert sup.state is S.STOPPED and "did not end in time" in sup.reason
