"""The tray's words and colours for each state (no display needed)."""

from __future__ import annotations

import pytest

from desktop.core.samples import RouterCheck
from desktop.core.supervisor import State
from desktop.ui.status import TOOLTIP_MAX, Action, Level, describe
from tests.desktop.fakes import FakeClock, sample

ROUTERS = (
    *(RouterCheck(f"r{i}", "pass") for i in range(9)),
    RouterCheck("whatsapp", "warn", error="ModuleNotFoundError: No module named 'twilio'"),
)


@pytest.mark.parametrize(
    ("state", "level"),
    [
        (State.RUNNING, Level.OK),
        (State.DEGRADED, Level.WARNING),
        (State.FAILED, Level.ERROR),
        (State.FATAL, Level.ERROR),
        (State.BACKOFF, Level.ERROR),
        (State.STARTING, Level.BUSY),
        (State.STOPPING, Level.OFF),
        (State.STOPPED, Level.OFF),
    ],
)
def test_every_state_has_its_colour(state: State, level: Level) -> None:
    status = describe(state, "why", None)
    assert status.level is level
    assert status.summary.startswith("Vigia: ")
    assert status.advice


def test_running_summary_is_one_line_with_db_and_routers() -> None:
    clock = FakeClock()
    status = describe(State.RUNNING, "health checks pass", sample(clock, routers=ROUTERS))
    assert status.summary == "Vigia: running · DB 1.5 ms · 9/10 routers"
    assert status.action is None


def test_an_answer_with_a_failing_database_is_red_and_says_failed() -> None:
    clock = FakeClock()
    failing = sample(clock, "fail", db="fail", output="circuit open: connection refused")
    status = describe(State.DEGRADED, "the backend answers but reports fail", failing)
    assert status.level is Level.ERROR
    assert status.label == "failed"
    assert status.summary == "Vigia: failed · DB not answering"
    assert status.reason == "circuit open: connection refused"
    assert status.action is Action.LOGS


def test_down_states_give_the_reason_and_offer_a_restart() -> None:
    status = describe(State.BACKOFF, "restarting in 2 s", None)
    assert status.summary == "Vigia: restarting · restarting in 2 s"
    assert status.action is Action.RESTART
    fatal = describe(State.FATAL, "the backend failed 5 times in a row", None)
    assert "Export diagnostics" in fatal.advice


def test_remote_mode_names_the_server_and_never_offers_a_local_restart() -> None:
    status = describe(State.FAILED, "no answer", None, remote_url="http://erp-server:8002")
    assert status.summary == "Vigia: failed · erp-server:8002 · no answer"
    assert status.action is Action.SETTINGS


def test_the_tooltip_is_cut_to_what_windows_shows() -> None:
    status = describe(State.FAILED, "x" * 400, None)
    assert len(status.summary) == TOOLTIP_MAX
    assert status.summary.endswith("…")
