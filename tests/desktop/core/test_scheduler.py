"""ThreadScheduler: one real thread, callbacks in due order, cancel, wait, close."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest

from desktop.core.scheduler import ThreadScheduler


@pytest.fixture
def sched() -> Iterator[ThreadScheduler]:
    scheduler = ThreadScheduler("vigia-test-scheduler")
    yield scheduler
    scheduler.close(5)


def test_calls_run_on_the_scheduler_thread_in_due_order(sched: ThreadScheduler) -> None:
    order: list[str] = []
    threads: set[str] = set()
    done = threading.Event()

    def record(name: str) -> None:
        order.append(name)
        threads.add(threading.current_thread().name)
        if name == "last":
            done.set()

    sched.call_later(0.2, lambda: record("last"))
    sched.call_later(0.1, lambda: record("second"))
    sched.call_soon(lambda: record("first"))
    assert done.wait(5)
    assert order == ["first", "second", "last"]
    assert threads == {"vigia-test-scheduler"}


def test_a_cancelled_call_never_runs(sched: ThreadScheduler) -> None:
    ran: list[str] = []
    done = threading.Event()

    def later() -> None:
        ran.append("later")
        done.set()

    sched.call_later(0.05, lambda: ran.append("cancelled")).cancel()
    sched.call_later(0.1, later)  # due after the cancelled one: it would have run first
    assert done.wait(5)
    assert ran == ["later"]


def test_call_and_wait_returns_or_raises_what_the_call_did(sched: ThreadScheduler) -> None:
    assert sched.call_and_wait(lambda: 42, 5) == 42

    def boom() -> None:
        raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        sched.call_and_wait(boom, 5)
    # From the scheduler's own thread it runs inline instead of waiting for itself.
    assert sched.call_and_wait(lambda: sched.call_and_wait(lambda: "inner", 1), 5) == "inner"


def test_call_and_wait_times_out(sched: ThreadScheduler) -> None:
    release = threading.Event()
    sched.call_soon(lambda: release.wait(5))
    with pytest.raises(TimeoutError, match=r"did not finish the call within 0\.1 s"):
        sched.call_and_wait(lambda: None, 0.1)
    release.set()


def test_a_failing_call_is_logged_and_the_thread_goes_on(
    sched: ThreadScheduler, caplog: pytest.LogCaptureFixture
) -> None:
    def boom() -> None:
        raise RuntimeError("bug")

    with caplog.at_level(logging.ERROR):
        sched.call_soon(boom)
        assert sched.call_and_wait(lambda: "alive", 5) == "alive"
    assert any("vigia-test-scheduler failed" in r.getMessage() for r in caplog.records)


def test_close_drops_pending_calls_and_refuses_new_ones(sched: ThreadScheduler) -> None:
    ran: list[str] = []
    sched.call_later(0.2, lambda: ran.append("pending"))
    assert sched.close(5) is True
    assert sched.call_soon(lambda: ran.append("late")).cancelled
    with pytest.raises(TimeoutError, match="closed"):
        sched.call_and_wait(lambda: None, 1)
    assert ran == []  # the thread has ended: nothing can run any more
