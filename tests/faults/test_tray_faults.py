"""Faults of the backend under the real tray: ``vigia tray`` on a virtual desktop (Xvfb,
trayer, dunst, D-Bus; tests/e2e/tray.py), its backend loading the fault endpoints of
tests/e2e/fixtures/fx_fault.py through ``VIGIA_ROUTERS``.

What the user gets is read where the user gets it: the toast from the notification
daemon's bus, the icon's colour from the screen; the supervisor's transitions from the
tray's log. Acknowledged writes made before the fault are read back after it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

import httpx
import psutil
import pytest

from tests.e2e import tray as shared
from tests.e2e.desktop_session import DesktopSession, Notification
from tests.e2e.tray import GREEN, RED, Tray
from tests.faults.record import FaultRow
from tests.helpers.live import ADMIN_TOKEN
from tests.helpers.waiting import wait_for

pytestmark = [pytest.mark.desktop]

# The shared fixtures (tests/e2e/tray.py), requested by name below.
desktop, launch = shared.desktop, shared.launch

FAULT_ROUTER = "fault=fx_fault:router"  # POST /api/v1/fault/crash, /api/v1/fault/hang
DOWN_TITLE = "ERP server stopped"  # the toast's summary (desktop/core/alert_rules.py)
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
HANG_S = 30.0


def _start_tray(
    launch: Callable[..., Tray], home: Path, monitor: dict[str, object], **env: str
) -> Tray:
    """A tray whose backend serves the fault endpoints, up and green."""
    home.mkdir()
    if monitor:
        (home / "desktop.json").write_text(json.dumps({"monitor": monitor}), encoding="utf-8")
    tray = launch(home, VIGIA_ROUTERS=FAULT_ROUTER, **env)
    wait_for(tray.answers, 60, "the embedded backend to answer /readyz")
    tray.wait_transition("starting -> running")
    tray.wait_colour(GREEN)
    return tray


def _write_products(url: str, count: int, tag: str) -> list[int]:
    """``count`` products, each acknowledged (201); their ids."""
    ids = []
    with httpx.Client(base_url=url, headers=AUTH, timeout=30) as client:
        for n in range(count):
            r = client.post(
                "/api/v1/products",
                json={"sku": f"{tag}-{n}", "name": f"Produto {n}", "price": "4.50", "stock": 7},
            )
            assert r.status_code == 201, r.text
            ids.append(int(r.json()["id"]))
    return ids


def _missing(url: str, ids: list[int]) -> list[int]:
    with httpx.Client(base_url=url, headers=AUTH, timeout=30) as client:
        return [i for i in ids if client.get(f"/api/v1/products/{i}").status_code != 200]


def _toast(
    desktop: DesktopSession, after: int, match: Callable[[Notification], bool]
) -> Notification:
    found = wait_for(
        lambda: [n for n in desktop.notifications()[after:] if match(n)], 60, "the toast"
    )
    assert isinstance(found, list)
    toast: Notification = found[0]
    return toast


def _toasts_and_writes(
    row: FaultRow, desktop: DesktopSession, toasts: int, url: str, ids: list[int]
) -> None:
    """The row's "sees" from the toasts since ``toasts`` (the backend down, then back, in
    plain words) and its "lost" from the acknowledged writes ``ids`` read back."""
    down = _toast(desktop, toasts, lambda n: n.summary == DOWN_TITLE)
    back = _toast(desktop, toasts, lambda n: n.body == "The ERP server is working again.")
    assert down.app == "Vigia"
    _plain(desktop.notifications()[toasts:])
    missing = _missing(url, ids)
    assert not missing, missing
    row.sees(f"toast “{down.summary}”: {down.body}")
    row.sees(f"then “{back.summary}”: {back.body}")
    row.lost(f"nothing: {len(missing)} of {len(ids)} acknowledged writes missing")


def _record_time(tray: Tray, index: int) -> float:
    """The wall time of the ``index``-th supervisor transition, from its log record."""
    records = [
        r
        for r in tray.process.log_records()
        if r.get("logger") == "desktop.core.supervisor" and " -> " in r.get("msg", "")
    ]
    return datetime.fromisoformat(records[index]["ts"]).timestamp()


def _plain(toasts: list[Notification]) -> None:
    for toast in toasts:
        text = f"{toast.summary} {toast.body}"
        assert "Traceback" not in text and 'File "' not in text, toast
        assert "Error" not in text, toast  # no exception class names either


class Watch:
    """Samples the tray process every 0.1 s: its listening sockets on the backend's port
    (two servers serving at once would show as two) and its thread count."""

    def __init__(self, pid: int, port: int) -> None:
        self.process = psutil.Process(pid)
        self.port = port
        self.most_listeners = 0
        self.threads: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="watch", daemon=True)

    def listeners(self) -> int:
        return sum(
            1
            for c in self.process.net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == self.port
        )

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.most_listeners = max(self.most_listeners, self.listeners())
            self.threads.append(self.process.num_threads())

    @contextmanager
    def running(self) -> Iterator[Watch]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(5)


def _port(tray: Tray) -> int:
    return int(tray.ready_url().rsplit(":", 1)[1])


def test_backend_thread_crashes_under_the_tray(
    desktop: DesktopSession,
    launch: Callable[..., Tray],
    tmp_path: Path,
    fault: Callable[[str], FaultRow],
) -> None:
    row = fault("Backend thread crashes (fatal error) under the tray")
    # The default polling (a crash is seen through the thread's end, not a poll); toasts
    # at once instead of after 6 s, so the toast of a crash recovered sooner is seen.
    tray = _start_tray(launch, tmp_path / "home", {"alert_min_duration_s": 0})
    url = tray.ready_url()
    ids = _write_products(url, 20, "CRASH")
    seen, toasts = len(tray.transitions()), len(desktop.notifications())

    started = time.monotonic()
    answer = httpx.post(url + "/api/v1/fault/crash", timeout=10)
    assert answer.json() == {"crashing": "yes"}
    failed = tray.wait_transition("-> failed", seen)
    wait_for(tray.answers, 60, "the backend to answer /readyz again")
    recovered = time.monotonic() - started
    running = tray.wait_transition("starting -> running", failed)
    after = tray.transitions()[failed : running + 1]
    assert [t.split(":")[0] for t in after] == [
        "backend running -> failed",
        "backend failed -> backoff",
        "backend backoff -> starting",
        "backend starting -> running",
    ], after
    assert tray.ready_url() == url  # the same address: the ERP's clients need no change
    tray.wait_colour(GREEN)

    _toasts_and_writes(row, desktop, toasts, url, ids)
    row.recovered(
        recovered,
        "automatic: the thread's end is seen at once and a fresh app starts on the same "
        "port (default tray settings; toasts here with alert_min_duration_s=0, the default "
        "6 s shows none for a crash recovered sooner)",
    )


@pytest.mark.timeout(300)
def test_backend_event_loop_blocked_for_30_s_under_the_tray(
    desktop: DesktopSession,
    launch: Callable[..., Tray],
    tmp_path: Path,
    fault: Callable[[str], FaultRow],
) -> None:
    row = fault("Backend event loop blocked for 30 s under the tray")
    # The tray's and the backend's defaults as a user has them: polls every 2 s (timeout
    # 2 s), 3 missed = hanging, toasts after 6 s, port retry 10 s, graceful stop 10 s.
    tray = _start_tray(launch, tmp_path / "home", {}, VIGIA_PORT_RETRY_S="10")
    url = tray.ready_url()
    ids = _write_products(url, 20, "HANG")
    pid = tray.process.proc.pid
    threads_before = psutil.Process(pid).num_threads()
    seen, toasts = len(tray.transitions()), len(desktop.notifications())
    logged = len(tray.process.log_records())

    with Watch(pid, _port(tray)).running() as watch:
        hang_wall, started = time.time(), time.monotonic()
        hanging = threading.Thread(
            target=_post_quietly, args=(url + f"/api/v1/fault/hang?s={HANG_S:g}",), daemon=True
        )
        hanging.start()
        failed = tray.wait_transition("-> failed", seen, timeout=60)
        detected = _record_time(tray, failed) - hang_wall
        tray.wait_colour(RED, timeout=30)
        _toast(desktop, toasts, lambda n: n.summary == DOWN_TITLE)  # while it hangs
        wait_for(tray.answers, 120, "the backend to answer /readyz again")
        recovered = time.monotonic() - started
        running = tray.wait_transition("starting -> running", failed)
        # The blocked thread wakes at HANG_S and ends; a few polls later nothing changed.
        wait_for(lambda: time.monotonic() - started > HANG_S + 8, HANG_S + 20, "the wake-up")
        hanging.join(30)
    after = tray.transitions()[failed:]
    assert after[-1].startswith("backend starting -> running"), after
    assert not any("without being asked" in t for t in after), after
    assert tray.transitions()[running:] == after[running - failed :]  # still running
    assert tray.answers()
    assert watch.most_listeners == 1, "two servers listened at once"
    tray.wait_colour(GREEN)
    # The old server thread is gone: as many threads as before, plus the toast sender's
    # worker (desktop/ui/notify.py starts it with the first toast).
    threads_after = watch.threads[-1]
    assert threads_after <= threads_before + 1, (threads_before, watch.threads)
    # It woke and shut down the ordinary way, not cut short with a traceback in the log.
    woke = [r["msg"] for r in tray.process.log_records()[logged:]]
    assert "the stuck server thread of an earlier start has ended" in woke
    assert not [m for m in woke if "Traceback" in m], woke
    _toasts_and_writes(row, desktop, toasts, url, ids)
    row.recovered(
        recovered,
        f"automatic: hang seen after {detected:.1f} s (3 missed polls), a fresh app serves "
        "on the same port once the blocked thread lets go of it (default settings)",
    )


def _post_quietly(url: str) -> None:
    with suppress(httpx.HTTPError):
        httpx.post(url, timeout=HANG_S + 30)
