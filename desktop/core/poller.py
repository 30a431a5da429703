"""The health poller: ``GET /readyz`` every ``poll_interval_s`` on a worker thread.

Each poll becomes a :class:`~desktop.core.samples.Sample` (time, status, latency,
per-check values), kept in a ring of the last hour and emitted as ``sample_taken``.
With an admin token it also fetches the backend's own alerts
(``/api/v1/monitoring/alerts``) every ``backend_alerts_interval_s`` and emits the active
ones as ``alerts_fetched``. Both signals are emitted on the poller's thread.

Keep-alive is off: every poll opens a new connection, as a new client would, so a
backend that no longer accepts connections is seen. Proxy variables of the environment
are ignored (the backend is on this machine or the LAN).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import httpx

from desktop.core.config import DesktopConfig
from desktop.core.samples import Sample, SampleRing, parse_health
from desktop.core.scheduler import Handle, Scheduler, ThreadScheduler
from desktop.core.signals import Signal

log = logging.getLogger(__name__)

HEALTH_PATH = "/readyz"
ALERTS_PATH = "/api/v1/monitoring/alerts"


def _no_answer(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or unreachable"
    return f"the connection failed ({type(exc).__name__})"


class HealthPoller:
    def __init__(
        self,
        base_url: Callable[[], str | None],
        config: DesktopConfig | None = None,
        *,
        token: Callable[[], str | None] = lambda: None,
        scheduler: Scheduler | None = None,
        transport: httpx.BaseTransport | None = None,
        ring_span_s: float = 3600.0,
    ) -> None:
        """``base_url`` and ``token`` are asked before each poll (the embedded backend's
        address is known only once it listens; None = skip this poll). The poller owns
        ``scheduler`` (a ThreadScheduler of its own by default) and closes it."""
        self.config = config or DesktopConfig()
        self._base_url = base_url
        self._token = token
        self._sched: Scheduler = scheduler or ThreadScheduler("vigia-health-poller")
        self._clock = self._sched.clock
        self._client = httpx.Client(
            transport=transport,
            limits=httpx.Limits(max_keepalive_connections=0),
            follow_redirects=False,
            trust_env=False,
        )
        self.ring = SampleRing(ring_span_s)
        self.sample_taken: Signal[Sample] = Signal("sample_taken")
        self.alerts_fetched: Signal[list[dict[str, Any]]] = Signal("alerts_fetched")
        self._next: Handle | None = None
        self._planned: float | None = None
        self._alerts_due = 0.0
        self._token_refused = False
        self._lock = threading.Lock()
        self._running = False

    # -- control (any thread) ---------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self._running:
                return
            self._running = True
        self._sched.call_soon(self._tick)

    def poll_now(self) -> None:
        """Poll at once (then every interval from now), e.g. when the backend listens."""
        self._sched.call_soon(self._poll_now)

    def configure(self, config: DesktopConfig) -> None:
        """New interval and timeout apply from the next poll."""
        self.config = config

    def close(self, timeout_s: float = 5.0) -> None:
        with self._lock:
            self._running = False
        self._sched.close(timeout_s)
        self._client.close()

    # -- queries (any thread) ---------------------------------------------------
    @property
    def latest(self) -> Sample | None:
        return self.ring.latest

    def recent(self, seconds: float = 3600.0) -> list[Sample]:
        """Samples of the last ``seconds``, oldest first (for the live graphs)."""
        return self.ring.since(self._clock.monotonic() - seconds)

    # -- the poller's thread ----------------------------------------------------
    def _poll_now(self) -> None:
        if self._next is not None:
            self._next.cancel()
        self._planned = None
        self._tick()

    def _tick(self) -> None:
        if not self._running:
            return
        self._next = None
        started = self._clock.monotonic()
        self.poll_once()
        # A steady rhythm: the next poll is one interval after the planned time of this
        # one, or at once if this poll took longer than the interval.
        planned = started if self._planned is None else self._planned
        planned = max(planned + self.config.poll_interval_s, self._clock.monotonic())
        self._planned = planned
        self._next = self._sched.call_later(planned - self._clock.monotonic(), self._tick)

    def poll_once(self) -> Sample | None:
        """One health poll (and the alerts fetch when due). Blocks up to the timeout.
        Returns the sample, or None when the backend's address is not known yet."""
        base = self._base_url()
        if base is None:
            return None
        token = self._token()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        sample = self._poll(base.rstrip("/"), headers)
        self.ring.add(sample)
        self.sample_taken.emit(sample)
        if token and sample.answered and self._clock.monotonic() >= self._alerts_due:
            self._alerts_due = sample.mono + self.config.backend_alerts_interval_s
            self._fetch_alerts(base.rstrip("/"), headers)
        return sample

    def _poll(self, base: str, headers: dict[str, str]) -> Sample:
        at, sent = self._clock.time(), self._clock.monotonic()
        try:
            response = self._client.get(
                base + HEALTH_PATH, headers=headers, timeout=self.config.poll_timeout_s
            )
        except httpx.HTTPError as exc:
            return Sample(at, sent, "down", output=_no_answer(exc))
        latency_ms = round((self._clock.monotonic() - sent) * 1000, 2)
        try:
            health = parse_health(response.json())
        except ValueError:
            health = None
        if health is None:
            return Sample(
                at,
                sent,
                "down",
                latency_ms=latency_ms,
                http_status=response.status_code,
                output=f"answered HTTP {response.status_code} without a health document",
            )
        return Sample(
            at,
            sent,
            health.status,
            latency_ms=latency_ms,
            http_status=response.status_code,
            output=health.output,
            checks=health.checks,
            routers=health.routers,
        )

    def _fetch_alerts(self, base: str, headers: dict[str, str]) -> None:
        try:
            response = self._client.get(
                base + ALERTS_PATH, headers=headers, timeout=self.config.poll_timeout_s
            )
        except httpx.HTTPError as exc:
            log.debug("could not fetch the backend's alerts: %s", _no_answer(exc))
            return
        if response.status_code in (401, 403):
            if not self._token_refused:
                log.warning(
                    "the backend refused the admin token (HTTP %s); its own alerts are not "
                    "shown. Check the admin token in the settings.",
                    response.status_code,
                )
            self._token_refused = True
            return
        self._token_refused = False
        try:
            active = response.json()["active"] if response.status_code == 200 else None
        except (ValueError, KeyError, TypeError):
            active = None
        if not isinstance(active, list):
            log.debug("the backend's alerts answer was HTTP %s", response.status_code)
            return
        self.alerts_fetched.emit([a for a in active if isinstance(a, dict)])
