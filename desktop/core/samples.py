"""One health poll (:class:`Sample`), how a health document becomes one, and the ring of
the last hour's samples.

The health document is ``application/health+json`` (draft-inadarei-api-health-check) as
``/readyz`` serves it: ``status`` pass|warn|fail and ``checks`` keyed
``component:measurement``. A sample whose poll got no such document (no answer, a
timeout, an answer that is not a health document) has status ``down``.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["pass", "warn", "fail", "down"]
HEALTH_STATUSES = ("pass", "warn", "fail")

DATABASE = "database:responseTime"
ROUTERS = "routers:loaded"
UPTIME = "uptime"
DISK = "disk:utilization"
BACKUP = "backup:age"


@dataclass(frozen=True)
class Check:
    """The first entry of one ``checks`` key (all but ``routers:loaded`` have one)."""

    status: str
    value: float | None = None
    unit: str | None = None
    output: str | None = None


@dataclass(frozen=True)
class RouterCheck:
    name: str
    status: str
    prefix: str | None = None
    error: str | None = None  # "ModuleNotFoundError: ..." when it failed to load

    @property
    def failed(self) -> bool:
        """Failed to load (a router disabled by an administrator has not failed)."""
        return self.error is not None


@dataclass(frozen=True)
class Sample:
    at: float  # wall time the poll was sent (seconds since the epoch)
    mono: float  # monotonic time the poll was sent
    status: Status
    latency_ms: float | None = None  # round trip; None without an answer
    http_status: int | None = None
    output: str | None = None  # the document's output, or why there is no document
    checks: Mapping[str, Check] = field(default_factory=dict)
    routers: tuple[RouterCheck, ...] = ()

    @property
    def answered(self) -> bool:
        """The backend sent a health document (whatever it says)."""
        return self.status != "down"

    def value(self, key: str) -> float | None:
        check = self.checks.get(key)
        return check.value if check is not None else None

    @property
    def db_ms(self) -> float | None:
        return self.value(DATABASE)

    @property
    def disk_percent(self) -> float | None:
        return self.value(DISK)

    @property
    def backup_age_h(self) -> float | None:
        return self.value(BACKUP)

    @property
    def uptime_s(self) -> float | None:
        return self.value(UPTIME)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _check(entry: Any) -> Check | None:
    if not isinstance(entry, Mapping) or entry.get("status") not in HEALTH_STATUSES:
        return None
    return Check(
        status=entry["status"],
        value=_number(entry.get("observedValue")),
        unit=_text(entry.get("observedUnit")),
        output=_text(entry.get("output")),
    )


def _router(entry: Any) -> RouterCheck | None:
    if not isinstance(entry, Mapping) or not _text(entry.get("componentId")):
        return None
    status = entry.get("status")
    if status not in HEALTH_STATUSES:
        return None
    failed = _text(entry.get("errorType")) is not None
    return RouterCheck(
        name=entry["componentId"],
        status=status,
        prefix=_text(entry.get("prefix")),
        error=(_text(entry.get("output")) or entry["errorType"]) if failed else None,
    )


@dataclass(frozen=True)
class Health:
    status: Status
    output: str | None
    checks: Mapping[str, Check]
    routers: tuple[RouterCheck, ...]


def parse_health(doc: Any) -> Health | None:
    """The parts of a health document the tray uses; None if ``doc`` is not one.

    Malformed entries are skipped, not fatal: a newer backend may add checks."""
    if not isinstance(doc, Mapping) or doc.get("status") not in HEALTH_STATUSES:
        return None
    checks: dict[str, Check] = {}
    routers: list[RouterCheck] = []
    raw = doc.get("checks")
    if isinstance(raw, Mapping):
        for key, entries in raw.items():
            if not isinstance(entries, list) or not entries:
                continue
            if key == ROUTERS:
                routers.extend(r for r in map(_router, entries) if r is not None)
            elif (check := _check(entries[0])) is not None:
                checks[str(key)] = check
    return Health(doc["status"], _text(doc.get("output")), checks, tuple(routers))


class SampleRing:
    """The samples of the last ``span_s`` seconds (by their monotonic time), thread-safe."""

    def __init__(self, span_s: float = 3600.0) -> None:
        self.span_s = span_s
        self._samples: deque[Sample] = deque()
        self._lock = threading.Lock()

    def add(self, sample: Sample) -> None:
        with self._lock:
            self._samples.append(sample)
            horizon = sample.mono - self.span_s
            while self._samples and self._samples[0].mono < horizon:
                self._samples.popleft()

    def since(self, mono: float | None = None) -> list[Sample]:
        """Samples sent at or after ``mono`` (all of them by default), oldest first."""
        with self._lock:
            if mono is None:
                return list(self._samples)
            return [s for s in self._samples if s.mono >= mono]

    @property
    def latest(self) -> Sample | None:
        with self._lock:
            return self._samples[-1] if self._samples else None

    def __len__(self) -> int:
        return len(self._samples)
