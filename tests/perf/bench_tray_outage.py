"""The database goes away: how long until the tray shows it, in this process.

The real :class:`~desktop.core.monitor.Monitor` with the tray's default settings (a
``/readyz`` poll every 2 s, 2 s timeout) drives the embedded backend, with the backend's
defaults (``health_cache_s`` 1 s, ``db_connect_timeout_s`` 5 s, ...), on a scratch
PostgreSQL database reached through the project's TCP proxy (tests/helpers/tcp_proxy.py).
``proxy.pause()`` cuts every open connection and refuses new ones, as a database server
that stopped behind a live host looks. It is paused at a random moment of the polling
cycle (uniform over one poll interval), so the figures cover the whole range of luck.

Three moments are timed from the pause, each as it is emitted on its thread:

- the poller's first sample whose health status is ``fail`` (``/readyz`` says the
  database check fails);
- the tray's displayed state turning red: ``desktop.ui.status.describe`` (what the icon,
  tooltip and dashboard banner show) evaluated on the supervisor's state and the latest
  sample after every sample and every transition gives ``Level.ERROR`` ("failed");
- the supervisor's transition to ``degraded`` (the state it stays in while the backend
  answers: a restart would not bring a database back, so it never goes ``failed`` here).

Then the proxy resumes and the time until the supervisor is ``running`` again is noted.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench_tray_recovery import Transitions, bench_settings

from desktop.core.monitor import Monitor
from desktop.core.samples import Sample
from desktop.core.supervisor import State, Transition
from desktop.ui.status import Level, describe
from tests.helpers.tcp_proxy import TcpProxy


@dataclass(frozen=True)
class Outage:
    fail_sample_s: float  # pause → the poller's first ``fail`` sample
    red_s: float  # pause → the tray's displayed state is failed (red)
    degraded_s: float  # pause → supervisor ``degraded``
    supervisor_failed: bool  # did the supervisor go ``failed`` during the outage
    recovered_s: float  # resume → supervisor ``running``


class _Watch:
    """The first fail sample and the first red status after a moment."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor
        self.since: float | None = None
        self.fail_sample: float | None = None
        self.red: float | None = None
        self._cond = threading.Condition()

    def arm(self) -> float:
        with self._cond:
            self.fail_sample = self.red = None
            self.since = time.perf_counter()
            return self.since

    def _red_now(self) -> bool:
        supervisor = self.monitor.supervisor
        status = describe(supervisor.state, supervisor.reason, self.monitor.poller.latest)
        return status.level is Level.ERROR

    def on_sample(self, sample: Sample) -> None:
        now = time.perf_counter()
        with self._cond:
            if self.since is None:
                return
            if self.fail_sample is None and sample.status == "fail":
                self.fail_sample = now
            if self.red is None and self._red_now():
                self.red = now
            self._cond.notify_all()

    def on_transition(self, _transition: Transition) -> None:
        now = time.perf_counter()
        with self._cond:
            if self.since is not None and self.red is None and self._red_now():
                self.red = now
            self._cond.notify_all()

    def wait(self, timeout_s: float) -> tuple[float, float]:
        with self._cond:
            ok = self._cond.wait_for(
                lambda: self.fail_sample is not None and self.red is not None, timeout_s
            )
            if not ok or self.fail_sample is None or self.red is None:
                raise RuntimeError(f"the outage was not shown within {timeout_s:.0f} s")
            self.since = None
            return self.fail_sample, self.red


class OutageBench:
    def __init__(self, home: Path, database_url: str, proxy: TcpProxy) -> None:
        self.proxy = proxy
        host_port = f"{proxy.target[0]}:{proxy.target[1]}"
        if host_port not in database_url:
            raise ValueError(f"{database_url} does not name {host_port}")
        proxied = database_url.replace(host_port, f"127.0.0.1:{proxy.port}")
        self.monitor = Monitor.embedded(bench_settings(home, database_url=proxied))
        self.seen = Transitions()
        self.watch = _Watch(self.monitor)
        self.monitor.poller.sample_taken.connect(self.watch.on_sample)
        self.monitor.supervisor.state_changed.connect(self.seen)
        self.monitor.supervisor.state_changed.connect(self.watch.on_transition)
        self.rng = random.Random(5)

    def start(self) -> None:
        self.monitor.start()
        self.seen.wait(State.RUNNING, 0, timeout_s=120)

    def outage_once(self) -> Outage:
        interval = self.monitor.poller.config.poll_interval_s
        time.sleep(interval + self.rng.uniform(0, interval))  # a random moment of the cycle
        start = len(self.seen)
        paused = self.watch.arm()
        self.proxy.pause()
        fail_sample, red = self.watch.wait(60)
        degraded, degraded_at = self.seen.wait(State.DEGRADED, start)
        failed = State.FAILED in self.seen.states(start, len(self.seen))
        self.proxy.resume()
        resumed = time.perf_counter()
        _, running_at = self.seen.wait(State.RUNNING, degraded, timeout_s=120)
        return Outage(
            fail_sample - paused,
            red - paused,
            degraded_at - paused,
            failed,
            running_at - resumed,
        )

    def close(self) -> None:
        self.monitor.shutdown(timeout_s=30)
