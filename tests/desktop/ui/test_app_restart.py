"""A restart asked from the tray applies the backend's new settings: TrayApp on the real
embedded backend (ServerRunner, SQLite in the temp VIGIA_HOME, the real poller), built by
embedded_context with the loader run_tray uses; vigia.toml changed through the settings
window ("Restart now") or by hand (the menu's Restart). The fresh app runs with the new
values, at the new port when the port changed, and the tray follows it there."""

from __future__ import annotations

import argparse
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from desktop.core.supervisor import UP_STATES, State, Transition
from desktop.ui import tasks
from desktop.ui.app import TrayApp, embedded_context
from desktop.ui.notify import Notifier
from desktop.ui.settings_dialog import SettingsDialog
from embedded_backend.cli.common import settings_from
from embedded_backend.config import Settings

# The offscreen platform cannot raise windows or pass size hints; it says so.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

# What the tests' settings always have (tests/conftest.py make_settings), in vigia.toml.
BASE = """\
port = 0
log_console = false
port_retry_s = 0
db_startup_retry_s = 2
rate_limit_per_minute = 0
backup_schedule_enabled = false
"""


class Toasts:
    """The notifier's toasts, shown by a fake notification service (a worker thread)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, title: str, text: str, severity: str) -> None:
        with self._lock:
            self.items.append((title, text, severity))


class Transitions:
    """The supervisor's transitions, as the tray sees them (GUI thread)."""

    def __init__(self, tray: TrayApp) -> None:
        self.items: list[Transition] = []
        tray.bridge.state_changed.connect(self.items.append)

    def up_after(self, index: int, restart: bool) -> bool:
        """Answering after transition ``index`` (and, with ``restart``, after a stop)."""
        later = self.items[index:]
        if restart:
            stops = [i for i, t in enumerate(later) if t.new is State.STOPPING]
            later = later[stops[0] :] if stops else []
        return any(t.new in UP_STATES for t in later)


@pytest.fixture
def toasts() -> Toasts:
    return Toasts()


@pytest.fixture
def tray(
    qtbot: QtBot, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toasts: Toasts
) -> Iterator[TrayApp]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))  # start-at-login file
    home.mkdir(parents=True, exist_ok=True)
    (home / "vigia.toml").write_text(BASE, encoding="utf-8")
    args = argparse.Namespace(home=str(home))

    def load() -> Settings:  # as run_tray does (app._embedded)
        return settings_from(args)

    app = TrayApp(
        embedded_context(load(), load, lambda s: s),
        notifier=Notifier(QSystemTrayIcon(), send=toasts),
    )
    yield app
    app.shutdown()
    if app.dashboard is not None:
        app.dashboard.deleteLater()
    qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=30_000)


def running(qtbot: QtBot, tray: TrayApp, seen: Transitions, since: int | None = None) -> str:
    """Wait for the backend to answer its health checks (after a restart that began
    after transition ``since``, when given); its URL."""
    qtbot.waitUntil(lambda: seen.up_after(since or 0, since is not None), timeout=60_000)
    url = tray.ctx.monitor.supervisor.url
    assert url is not None
    return url


def restarted(seen: Transitions, since: int) -> list[Transition]:
    return [t for t in seen.items[since:] if t.new is State.STOPPING]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def admin_get(tray: TrayApp, path: str) -> Any:
    """GET on the admin API of the backend the tray watches, with its token."""
    url, token = tray.ctx.client.connection()
    r = httpx.get(f"{url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    r.raise_for_status()
    return r.json()


def settings_changes(tray: TrayApp) -> dict[str, Any]:
    """What the newest start recorded as changed settings (embedded_backend/settings_audit)."""
    items = admin_get(tray, "/api/v1/admin/audit?action=settings.change")["items"]
    assert items, "no settings change was recorded"
    changes: dict[str, Any] = items[0]["detail"]["changes"]
    return changes


def test_restart_now_in_the_settings_window_runs_the_backend_with_the_new_settings(
    qtbot: QtBot, tray: TrayApp
) -> None:
    seen = Transitions(tray)
    tray.start()
    old_url = running(qtbot, tray, seen)
    port = free_port()

    dialog = tray.actions.open_settings()
    assert isinstance(dialog, SettingsDialog)
    dialog.port_edit.setText(str(port))
    dialog.daily_spin.setValue(30)
    dialog.p95_spin.setValue(1500)
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    box = dialog.restart_box
    assert box is not None
    since = len(seen.items)
    restart = next(b for b in box.buttons() if b.text() == "Restart now")
    with qtbot.waitSignal(dialog.finished, timeout=5000):
        restart.click()
    new_url = running(qtbot, tray, seen, since)

    [stopping] = restarted(seen, since)
    assert "settings window" in stopping.reason
    assert new_url == f"http://127.0.0.1:{port}" != old_url
    settings = tray.ctx.settings
    assert settings is not None and settings.port == port
    assert settings.backup_keep_daily == 30 and settings.alert_p95_ms_warn == 1500
    # The fresh app started with them: it recorded the change as it started.
    changes = settings_changes(tray)
    assert changes["port"] == {"before": 0, "after": port}
    assert changes["backup_keep_daily"] == {"before": 14, "after": 30}
    assert changes["alert_p95_ms_warn"] == {"before": 1000.0, "after": 1500.0}
    # The health poller follows the new address.
    count = len(tray.ctx.monitor.poller.ring.since(0))
    tray.ctx.monitor.poller.poll_now()
    qtbot.waitUntil(lambda: len(tray.ctx.monitor.poller.ring.since(0)) > count, timeout=10_000)
    latest = tray.ctx.monitor.poller.latest
    assert latest is not None and latest.answered
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{old_url}/readyz", timeout=5)


def test_the_menu_restart_reads_vigia_toml_again(
    qtbot: QtBot, tray: TrayApp, home: Path, toasts: Toasts
) -> None:
    seen = Transitions(tray)
    tray.start()
    url = running(qtbot, tray, seen)

    # A file that cannot be read: nothing is restarted, and a toast says why.
    (home / "vigia.toml").write_text(BASE + "slow_query_s = [\n", encoding="utf-8")
    since = len(seen.items)
    tray.tray.restart_requested.emit()
    qtbot.waitUntil(lambda: toasts.items != [], timeout=5000)
    [(title, text, severity)] = toasts.items
    assert title == "Restart not done" and "vigia.toml is not valid TOML" in text
    assert severity == "error"

    # Set right by hand: the same menu entry restarts with it.
    (home / "vigia.toml").write_text(BASE + "slow_query_s = 7.5\n", encoding="utf-8")
    tray.tray.restart_requested.emit()
    assert running(qtbot, tray, seen, since) == url  # port 0: the same free port again
    [stopping] = restarted(seen, since)  # one restart: the refused one did not happen
    assert stopping.reason == "restarting: restart asked from the tray"
    assert settings_changes(tray)["slow_query_s"] == {"before": 1.0, "after": 7.5}
