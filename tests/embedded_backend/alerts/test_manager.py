"""AlertManager: one alert per (rule, subject), escalation, auto and manual resolve,
bounded history, and the log line of every transition."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from embedded_backend.alerts.manager import AlertManager, AlreadyResolved, UnknownAlert
from embedded_backend.alerts.rules import RULES, Finding, Rule, Thresholds
from embedded_backend.alerts.snapshot import Snapshot

LOGGER = "embedded_backend.alerts.manager"
T0 = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def _manager(history_size: int = 200) -> AlertManager:
    return AlertManager(Thresholds(), RULES, history_size)


def _errors(rate: float) -> Snapshot:
    return Snapshot(requests=100, error_rate=rate)


OK = Snapshot(requests=100, error_rate=0.0)


def _at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_one_alert_per_rule_and_subject_while_the_problem_lasts() -> None:
    m = _manager()
    m.evaluate(_errors(0.06), _at(0))
    first = m.active()
    assert [(a.rule, a.subject, a.severity) for a in first] == [("error_rate", "http", "warning")]
    m.evaluate(_errors(0.07), _at(30))
    m.evaluate(_errors(0.08), _at(60))
    [alert] = m.active()
    assert alert.id == first[0].id
    assert alert.started_at == _at(0) and alert.updated_at == _at(60)
    assert alert.value == 0.08 and "8%" in alert.message
    assert m.recent() == []


def test_escalate_and_ease_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    m = _manager()
    m.evaluate(_errors(0.06), _at(0))
    m.evaluate(_errors(0.3), _at(30))
    [alert] = m.active()
    assert alert.severity == "critical"
    m.evaluate(_errors(0.12), _at(60))
    assert m.active()[0].severity == "error" and m.active()[0].id == alert.id
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == LOGGER]
    assert lines[0][0] == "WARNING" and lines[0][1].startswith("alert raised [warning]")
    assert lines[1][0] == "WARNING" and "escalated from warning to critical" in lines[1][1]
    assert lines[2][0] == "INFO" and "eased from critical to error" in lines[2][1]
    assert len(lines) == 3  # same severity again logs nothing
    assert all("Traceback" not in text for _, text in lines)


def test_resolved_automatically_when_the_condition_clears(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    m = _manager()
    m.evaluate(_errors(0.5), _at(0))
    [alert] = m.active()
    m.evaluate(OK, _at(30))
    assert m.active() == []
    [old] = m.recent()
    assert old.id == alert.id and old.resolved_at == _at(30) and old.resolved_by == "auto"
    assert old.as_dict()["state"] == "resolved"
    assert any(
        r.levelname == "INFO" and "alert resolved (error_rate, http)" in r.getMessage()
        for r in caplog.records
    )
    m.evaluate(_errors(0.5), _at(60))  # it comes back: a new alert
    [again] = m.active()
    assert again.id != alert.id and again.started_at == _at(60)


def test_manual_resolve_stays_quiet_until_the_condition_clears_and_returns() -> None:
    m = _manager()
    m.evaluate(_errors(0.5), _at(0))
    [alert] = m.active()
    resolved = m.resolve(alert.id, "maria")
    assert resolved.resolved_by == "maria" and not resolved.active
    for t in (30, 60, 90):  # condition still holds: acknowledged, not raised again
        m.evaluate(_errors(0.5), _at(t))
    assert m.active() == []
    m.evaluate(OK, _at(120))  # clears...
    assert m.active() == []
    m.evaluate(_errors(0.5), _at(150))  # ...and comes back: a new alert
    [again] = m.active()
    assert again.id != alert.id
    assert [a.id for a in m.recent()] == [alert.id]


def test_resolve_unknown_and_twice() -> None:
    m = _manager()
    with pytest.raises(UnknownAlert):
        m.resolve("nope", "maria")
    m.evaluate(_errors(0.5), _at(0))
    [alert] = m.active()
    m.resolve(alert.id, "maria")
    with pytest.raises(AlreadyResolved) as caught:
        m.resolve(alert.id, "joao")
    assert caught.value.alert.resolved_by == "maria"


def test_history_is_bounded_newest_first() -> None:
    m = _manager(history_size=3)
    ids = []
    for i in range(5):
        m.evaluate(_errors(0.5), _at(i * 60))
        ids.append(m.active()[0].id)
        m.evaluate(OK, _at(i * 60 + 30))
    assert [a.id for a in m.recent()] == ids[::-1][:3]
    assert m.report() == {"active": [], "recent": [a.as_dict() for a in m.recent()]}


def test_several_rules_worst_first() -> None:
    m = _manager()
    m.evaluate(Snapshot(requests=100, error_rate=0.3, disk_free_percent=8), _at(0))
    assert [(a.rule, a.severity) for a in m.active()] == [
        ("error_rate", "critical"),
        ("disk_free", "warning"),
    ]
    m.evaluate(Snapshot(requests=100, error_rate=0.0, disk_free_percent=8), _at(30))
    assert [a.rule for a in m.active()] == ["disk_free"]


def test_a_crashing_rule_is_logged_and_changes_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = {"n": 0}

    def flaky(s: Snapshot, t: Thresholds) -> Finding | None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("boom")
        return Finding("error", "flaky says no", 1.0)

    m = AlertManager(Thresholds(), (Rule("flaky", "x", flaky),))
    m.evaluate(OK, _at(0))
    [alert] = m.active()
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        m.evaluate(OK, _at(30))
    assert m.active() == [alert]
    assert "alert rule flaky could not be evaluated" in caplog.text


def test_as_dict_shape() -> None:
    m = _manager()
    m.evaluate(_errors(0.5), _at(0))
    body = m.active()[0].as_dict()
    assert body.keys() == {
        "id", "rule", "subject", "severity", "state", "message", "value",
        "started_at", "updated_at", "resolved_at", "resolved_by",
    }  # fmt: skip
    assert body["started_at"] == "2026-11-23T17:00:00.000Z" and body["state"] == "active"
