"""The moving window behind the rate limits, on a clock the test moves by hand."""

from __future__ import annotations

import threading

import pytest

from embedded_backend.throttle import MovingWindow, retry_after_header


class Clock:
    """A monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limit_then_refusal_with_the_wait_until_the_oldest_hit_leaves() -> None:
    clock = Clock()
    window = MovingWindow(3, 60, clock=clock)
    for at in (1000.0, 1010.0, 1030.0):
        clock.now = at
        assert window.hit("ana") == 0.0
    # Full; the oldest hit (1000) leaves the window at 1060.
    clock.now = 1050.0
    assert window.hit("ana") == pytest.approx(10.0)
    assert window.retry_after("ana") == pytest.approx(10.0)
    # A refused hit is not counted: at 1060 one slot is free again.
    clock.now = 1060.0
    assert window.retry_after("ana") == 0.0
    assert window.hit("ana") == 0.0
    assert window.hit("ana") == pytest.approx(10.0)  # now 1010 is the oldest: free at 1070


def test_keys_are_independent() -> None:
    clock = Clock()
    window = MovingWindow(1, 60, clock=clock)
    assert window.hit("user:1") == 0.0
    assert window.hit("user:1") > 0
    assert window.hit("user:2") == 0.0
    assert window.hit("admin-token") == 0.0


def test_retry_after_does_not_count() -> None:
    window = MovingWindow(2, 60, clock=Clock())
    for _ in range(10):
        assert window.retry_after("x") == 0.0
    assert window.hit("x") == 0.0
    assert window.hit("x") == 0.0
    assert window.retry_after("x") > 0


def test_idle_keys_are_swept_so_guessed_names_do_not_pile_up() -> None:
    clock = Clock()
    window = MovingWindow(5, 60, clock=clock)
    for i in range(1000):
        window.hit(f"guess-{i}")
    assert len(window) == 1000
    clock.now += 61
    window.hit("fresh")
    assert len(window) == 1  # only the key hit inside the window is left


def test_clear_forgets_a_key() -> None:
    window = MovingWindow(1, 60, clock=Clock())
    window.hit("k")
    assert window.retry_after("k") > 0
    window.clear("k")
    assert window.hit("k") == 0.0


def test_threads_never_exceed_the_limit() -> None:
    window = MovingWindow(100, 60)
    allowed: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            if window.hit("shared") == 0.0:
                with lock:
                    allowed.append(1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 100


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MovingWindow(0)


@pytest.mark.parametrize(("seconds", "header"), [(0.01, "1"), (1.0, "1"), (1.2, "2"), (59.9, "60")])
def test_retry_after_header_rounds_up_to_whole_seconds(seconds: float, header: str) -> None:
    assert retry_after_header(seconds) == header
