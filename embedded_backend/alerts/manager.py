"""One active alert per (rule, subject); escalation, automatic and manual resolve, history.

- **Raise**: a rule finds a problem and no alert is active for its (rule, subject) → a new
  alert (new id), logged at WARNING.
- **Deduplicate**: while the problem lasts the same alert is updated (value, message,
  ``updated_at``); a change of severity is logged (WARNING when it gets worse, INFO when
  it gets better).
- **Auto-resolve**: the first evaluation in which the rule finds nothing resolves the
  alert (``resolved_by = "auto"``), logged at INFO. A rule that crashes is logged and
  changes nothing.
- **Manual resolve** (``resolve(id, actor)``): the alert is resolved at once. Choice: if
  its condition still holds, it does **not** come back on the next evaluation — the
  administrator has acknowledged it; the (rule, subject) stays silenced until one
  evaluation finds the condition clear, and a later recurrence raises a new alert.
- **History**: resolved alerts, newest first, bounded to ``history_size``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from embedded_backend.alerts.rules import RULES, Finding, Rule, Severity, Thresholds, rank
from embedded_backend.alerts.snapshot import Snapshot

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (rule, subject)


class UnknownAlert(LookupError):
    pass


class AlreadyResolved(ValueError):
    def __init__(self, alert: Alert) -> None:
        super().__init__(alert.id)
        self.alert = alert


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Alert:
    rule: str
    subject: str
    severity: Severity
    message: str
    value: float
    started_at: datetime
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    updated_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None  # "auto" or the administrator's name

    def __post_init__(self) -> None:
        self.updated_at = self.updated_at or self.started_at

    @property
    def active(self) -> bool:
        return self.resolved_at is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "subject": self.subject,
            "severity": self.severity,
            "state": "active" if self.active else "resolved",
            "message": self.message,
            "value": self.value,
            "started_at": _iso(self.started_at),
            "updated_at": _iso(self.updated_at),
            "resolved_at": _iso(self.resolved_at),
            "resolved_by": self.resolved_by,
        }


class AlertManager:
    def __init__(
        self,
        thresholds: Thresholds,
        rules: tuple[Rule, ...] = RULES,
        history_size: int = 200,
    ) -> None:
        self.thresholds = thresholds
        self.rules = rules
        self._active: dict[Key, Alert] = {}
        self._history: deque[Alert] = deque(maxlen=history_size)
        self._silenced: set[Key] = set()  # manually resolved, condition not yet clear
        self._lock = threading.Lock()

    # -- evaluation -----------------------------------------------------------
    def evaluate(self, snapshot: Snapshot, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        for rule in self.rules:
            try:
                finding = rule.check(snapshot, self.thresholds)
            except Exception:
                log.exception("alert rule %s could not be evaluated; skipping it", rule.name)
                continue
            with self._lock:
                self._apply((rule.name, rule.subject), finding, now)

    def _apply(self, key: Key, finding: Finding | None, now: datetime) -> None:
        alert = self._active.get(key)
        if finding is None:
            self._silenced.discard(key)
            if alert is not None:
                self._close(alert, "auto", now)
                log.info(
                    "alert resolved (%s, %s): the condition has cleared", alert.rule, alert.subject
                )
            return
        if alert is None:
            if key in self._silenced:
                return  # resolved by an administrator and not yet clear: stay quiet
            alert = Alert(key[0], key[1], finding.severity, finding.message, finding.value, now)
            self._active[key] = alert
            log.warning("alert raised [%s] (%s): %s", alert.severity, alert.rule, alert.message)
            return
        previous = alert.severity
        alert.severity, alert.message, alert.value = finding
        alert.updated_at = now
        if rank(finding.severity) > rank(previous):
            log.warning(
                "alert escalated from %s to %s (%s): %s",
                previous,
                finding.severity,
                alert.rule,
                alert.message,
            )
        elif rank(finding.severity) < rank(previous):
            log.info(
                "alert eased from %s to %s (%s): %s",
                previous,
                finding.severity,
                alert.rule,
                alert.message,
            )

    def _close(self, alert: Alert, by: str, now: datetime) -> None:
        alert.resolved_at = now
        alert.resolved_by = by
        self._active.pop((alert.rule, alert.subject), None)
        self._history.appendleft(alert)

    # -- API ------------------------------------------------------------------
    def resolve(self, alert_id: str, by: str) -> Alert:
        with self._lock:
            for key, alert in self._active.items():
                if alert.id == alert_id:
                    self._close(alert, by, datetime.now(UTC))
                    self._silenced.add(key)
                    break
            else:
                for old in self._history:
                    if old.id == alert_id:
                        raise AlreadyResolved(old)
                raise UnknownAlert(alert_id)
        log.info("alert resolved (%s, %s) by %s", alert.rule, alert.subject, by)
        return alert

    def active(self) -> list[Alert]:
        """Worst first, then oldest first."""
        with self._lock:
            alerts = list(self._active.values())
        return sorted(alerts, key=lambda a: (-rank(a.severity), a.started_at))

    def recent(self) -> list[Alert]:
        """Resolved alerts, newest first."""
        with self._lock:
            return list(self._history)

    def report(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "active": [a.as_dict() for a in self.active()],
            "recent": [a.as_dict() for a in self.recent()],
        }
