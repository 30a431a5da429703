"""Fixtures shared by the desktop core's tests: a fake clock, a manual scheduler on it, a
fake runner, and the supervisor transitions seen (a test file may override any)."""

from __future__ import annotations

import pytest

from tests.desktop.fakes import FakeClock, FakeRunner, ManualScheduler, Seen


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sched(clock: FakeClock) -> ManualScheduler:
    return ManualScheduler(clock)


@pytest.fixture
def runner() -> FakeRunner:
    return FakeRunner()


@pytest.fixture
def seen(clock: FakeClock) -> Seen:
    return Seen(clock)
