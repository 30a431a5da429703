"""The alert center: turns findings into alerts a person sees, without crying wolf.

- **Minimum duration**: a condition must be present for ``alert_min_duration_s`` (6 s by
  default) before it becomes an alert, and absent as long before the alert is resolved,
  so a blip or a quick automatic restart makes no toast and a flapping condition makes
  one alert, not twenty.
- **Deduplicated**: one alert per ``(category, subject)`` while it lasts; its message and
  severity follow the condition (``changed``) without a new toast.
- **Toast only on change**: ``toast_requested`` is emitted when an alert is raised, when its
  severity rises (the backend that "is restarting" now "keeps stopping": the advice
  changes, so the person must hear it) and when it is resolved, never while it merely
  lasts; a category in ``muted_categories`` makes no toast but is still recorded.
- **History**: every alert, active or resolved, newest first (``history()``);
  ``changed`` lets the history store persist each change.
- **Waking from sleep**: when the monotonic and wall clocks disagree, or the gap since the
  previous evaluation is longer than ``wake_gap_s``, every timer starts again from now
  (re-armed) instead of firing everything that "lasted" through the sleep.
- **Unknown is not absent**: when the backend does not answer, what its health said
  (database, disk, ...) is unknown: raised alerts stay as they are, nothing new starts.
  Stopping the backend on purpose closes every alert without a toast.

Inputs come from several threads (samples from the poller's, transitions from the
supervisor's); a lock serializes them and signals are emitted under it, in order, on the
calling thread: handlers must not block.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from desktop.core.alert_rules import (
    SEVERITIES,
    Finding,
    Key,
    Translate,
    down_finding,
    identity,
    sample_findings,
    server_findings,
)
from desktop.core.categories import Category
from desktop.core.clock import SYSTEM_CLOCK, Clock
from desktop.core.config import DesktopConfig
from desktop.core.samples import Sample
from desktop.core.signals import Signal
from desktop.core.supervisor import State, Transition

log = logging.getLogger(__name__)

SAMPLE_CATEGORIES = frozenset(
    {Category.DATABASE, Category.LATENCY, Category.ROUTER, Category.DISK, Category.BACKUP}
)
CLOCK_JUMP_S = 5.0  # wall and monotonic time disagreeing by more than this = a jump


@dataclass
class AlertRecord:
    id: str
    category: Category
    subject: str
    severity: str  # warning | error | critical
    title: str
    message: str
    raised_at: float  # wall time
    updated_at: float
    resolved_at: float | None = None
    muted: bool = False  # raised while its category was muted: no toasts for it
    resolved_by: str | None = None  # cleared, backend stopped, stopped watching, Vigia closed

    @property
    def active(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class Notice:
    """A toast to show: short title, one or two sentences of text."""

    kind: Literal["raised", "resolved"]
    category: Category
    severity: str
    title: str
    text: str
    alert_id: str


@dataclass
class _Tracked:
    finding: Finding
    since: float  # monotonic: present since
    clear_since: float | None = None  # monotonic: absent since (raised alerts only)
    record: AlertRecord | None = None  # set once raised


class AlertCenter:
    def __init__(
        self,
        config: DesktopConfig | None = None,
        *,
        clock: Clock = SYSTEM_CLOCK,
        tr: Translate = identity,
        url: Callable[[], str | None] = lambda: None,
        history_size: int = 500,
    ) -> None:
        self.config = config or DesktopConfig()
        self._clock = clock
        self._tr = tr
        self._url = url
        self.toast_requested: Signal[Notice] = Signal("toast_requested")
        self.changed: Signal[AlertRecord] = Signal("changed")  # a copy, after each change
        self._lock = threading.RLock()
        self._tracked: dict[Key, _Tracked] = {}
        self._current: dict[Category, dict[Key, Finding]] = {}
        self._known: set[Category] = set()
        self._server: dict[Key, Finding] = {}
        self._server_at: float | None = None
        self._slow_streak = 0
        self._last: tuple[float, float] | None = None
        self._history: deque[AlertRecord] = deque(maxlen=history_size)

    # -- inputs (any thread) ---------------------------------------------------------
    def on_sample(self, sample: Sample) -> None:
        with self._lock:
            if sample.answered:
                slow = (sample.latency_ms or 0.0) > self.config.latency_threshold_ms
                self._slow_streak = self._slow_streak + 1 if slow else 0
                found = sample_findings(
                    sample,
                    self._slow_streak,
                    self.config.latency_threshold_ms,
                    self.config.latency_samples,
                    self._tr,
                )
                for category in SAMPLE_CATEGORIES:
                    self._current[category] = {k: f for k, f in found.items() if k[0] is category}
                self._known |= SAMPLE_CATEGORIES
            else:
                self._slow_streak = 0
                self._known -= SAMPLE_CATEGORIES
            self._evaluate()

    def on_transition(self, transition: Transition) -> None:
        with self._lock:
            if transition.new is State.STOPPED:
                self._close_all("backend stopped" if transition.owned else "stopped watching")
                self._known.clear()
                self._current.clear()
                self._server_at = None
            down = down_finding(transition, self._url(), self._tr) if transition.down else None
            self._current[Category.BACKEND_DOWN] = {down.key: down} if down else {}
            self._known.add(Category.BACKEND_DOWN)
            self._evaluate()

    def on_backend_alerts(self, active: Iterable[Mapping[str, Any]]) -> None:
        with self._lock:
            self._server = server_findings(active, self._tr)
            self._server_at = self._clock.monotonic()
            self._evaluate()

    def configure(self, config: DesktopConfig) -> None:
        """New thresholds and muting apply from the next evaluation (an alert keeps the
        muting it was raised with)."""
        with self._lock:
            self.config = config

    # -- queries (any thread) --------------------------------------------------------
    def active(self) -> list[AlertRecord]:
        """Raised and not resolved, worst first, then oldest first."""
        with self._lock:
            records = [dataclasses.replace(t.record) for t in self._tracked.values() if t.record]
        return sorted(records, key=lambda r: (-SEVERITIES.index(r.severity), r.raised_at))

    def history(self) -> list[AlertRecord]:
        """Every alert raised (this session and loaded ones), newest first."""
        with self._lock:
            return [dataclasses.replace(r) for r in self._history]

    def load_history(self, records: Iterable[AlertRecord]) -> None:
        """Older records (newest first), e.g. from the history store at start-up."""
        with self._lock:
            for record in records:
                if len(self._history) == self._history.maxlen:
                    break
                self._history.append(record)

    def close(self) -> None:
        """Vigia quits: close the active alerts (recorded, no toast)."""
        with self._lock:
            self._close_all("Vigia closed")

    # -- evaluation (under the lock) -----------------------------------------------------
    def _evaluate(self) -> None:
        now, wall = self._clock.monotonic(), self._clock.time()
        self._check_gap(now, wall)
        known = set(self._known)
        findings: dict[Key, Finding] = {}
        for category in known:
            findings.update(self._current.get(category, {}))
        if self._server_fresh(now):
            known.add(Category.SERVER)
            for key, finding in self._server.items():
                if key[0] in known and key not in findings:  # the tray's own words first
                    findings[key] = finding
        wait = self.config.alert_min_duration_s
        for key, finding in findings.items():
            tracked = self._tracked.get(key)
            if tracked is None:
                tracked = self._tracked[key] = _Tracked(finding, since=now)
            tracked.finding, tracked.clear_since = finding, None
            if tracked.record is None:
                if now - tracked.since >= wait:
                    self._raise(tracked, wall)
            else:
                self._update(tracked, wall)
        for key, tracked in list(self._tracked.items()):
            if key in findings:
                continue
            if tracked.record is None:
                del self._tracked[key]  # gone (or unknown) before it lasted: nothing to say
            elif key[0] in known:
                if tracked.clear_since is None:
                    tracked.clear_since = now
                if now - tracked.clear_since >= wait:
                    del self._tracked[key]
                    self._resolve(tracked.record, tracked.finding, wall, "cleared")

    def _server_fresh(self, now: float) -> bool:
        if self._server_at is None:
            return False
        limit = 3 * self.config.backend_alerts_interval_s + self.config.poll_timeout_s
        return now - self._server_at <= limit

    def _check_gap(self, now: float, wall: float) -> None:
        last, self._last = self._last, (now, wall)
        if last is None:
            return
        gap, wall_gap = now - last[0], wall - last[1]
        if gap <= self.config.wake_gap_s and abs(wall_gap - gap) <= CLOCK_JUMP_S:
            return
        log.info(
            "the computer seems to have slept or its clock changed (%.0f s monotonic, "
            "%.0f s wall since the last check); alert timers start again",
            gap,
            wall_gap,
        )
        for tracked in self._tracked.values():
            if tracked.record is None:
                tracked.since = now
            elif tracked.clear_since is not None:
                tracked.clear_since = now
        self._slow_streak = 0
        self._server_at = None  # fetched before the sleep: unknown until fetched again

    def _raise(self, tracked: _Tracked, wall: float) -> None:
        finding = tracked.finding
        record = AlertRecord(
            id=uuid.uuid4().hex,
            category=finding.category,
            subject=finding.subject,
            severity=finding.severity,
            title=finding.title,
            message=finding.message,
            raised_at=wall,
            updated_at=wall,
            muted=finding.category in self.config.muted_categories,
        )
        tracked.record = record
        self._history.appendleft(record)
        log.info(
            "alert raised (%s, %s)%s: %s",
            record.category,
            record.subject,
            " [muted]" if record.muted else "",
            record.message,
        )
        self.changed.emit(dataclasses.replace(record))
        self._announce(record)

    def _announce(self, record: AlertRecord) -> None:
        """The toast for a raised (or escalated) alert, unless its category is muted."""
        if not record.muted:
            self.toast_requested.emit(
                Notice(
                    "raised",
                    record.category,
                    record.severity,
                    record.title,
                    record.message,
                    record.id,
                )
            )

    def _update(self, tracked: _Tracked, wall: float) -> None:
        record, finding = tracked.record, tracked.finding
        assert record is not None
        now = (finding.severity, finding.title, finding.message)
        if now == (record.severity, record.title, record.message):
            return
        rose = SEVERITIES.index(finding.severity) > SEVERITIES.index(record.severity)
        record.severity, record.title, record.message = now
        record.updated_at = wall
        self.changed.emit(dataclasses.replace(record))
        if rose:
            log.info("alert escalated to %s (%s)", record.severity, record.category)
            self._announce(record)

    def _resolve(self, record: AlertRecord, finding: Finding, wall: float, by: str) -> None:
        record.resolved_at = record.updated_at = wall
        record.resolved_by = by
        log.info("alert resolved (%s, %s): %s", record.category, record.subject, by)
        self.changed.emit(dataclasses.replace(record))
        if by == "cleared" and not record.muted:
            self.toast_requested.emit(
                Notice(
                    "resolved",
                    record.category,
                    record.severity,
                    record.title,
                    finding.resolved_message,
                    record.id,
                )
            )

    def _close_all(self, by: str) -> None:
        wall = self._clock.time()
        for tracked in self._tracked.values():
            if tracked.record is not None:
                self._resolve(tracked.record, tracked.finding, wall, by)
        self._tracked.clear()
