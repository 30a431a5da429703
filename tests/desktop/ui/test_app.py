"""TrayApp on a core of real parts on a fake clock: status follows the supervisor and the
health, toasts follow the alert center, the menu drives the supervisor, the dashboard
opens lazily, a second launch's command is obeyed, quitting stops the backend."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from desktop.core.config import DesktopConfig
from desktop.core.supervisor import State
from desktop.ui.app import TrayApp
from desktop.ui.notify import Notifier
from desktop.ui.status import Level, TrayStatus
from tests.desktop.ui.fake_core import FakeCore, fake_core

# The offscreen platform cannot raise windows or pass size hints; it says so.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


class Toasts:
    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []

    def __call__(self, title: str, text: str, severity: str) -> None:
        self.items.append((title, text, severity))


@pytest.fixture
def core(home: Path) -> Iterator[FakeCore]:
    config = DesktopConfig(alert_min_duration_s=4)
    with fake_core(home, config=config) as core:
        yield core


@pytest.fixture
def toasts() -> Toasts:
    return Toasts()


@pytest.fixture
def app(qtbot: QtBot, core: FakeCore, toasts: Toasts) -> Iterator[TrayApp]:
    tray = TrayApp(core.ctx, notifier=Notifier(QSystemTrayIcon(), send=toasts))
    yield tray
    tray.shutdown()
    if tray.dashboard is not None:
        tray.dashboard.deleteLater()


def wait_status(qtbot: QtBot, app: TrayApp, level: Level) -> TrayStatus:
    def matches(status: TrayStatus) -> bool:
        return status.level is level

    with qtbot.waitSignal(app.status_changed, timeout=5000, check_params_cb=matches) as blocker:
        pass
    status: TrayStatus = blocker.args[0]
    return status


def test_status_follows_the_supervisor_and_the_health(
    qtbot: QtBot, app: TrayApp, core: FakeCore
) -> None:
    assert app.status is not None and app.status.level is Level.OFF  # stopped
    app.start()
    with qtbot.waitSignal(
        app.status_changed, timeout=5000, check_params_cb=lambda s: s.level is Level.OK
    ) as blocker:
        core.step()
    status = blocker.args[0]
    assert status.summary == "Vigia: running · DB 2.0 ms · 4/4 routers"
    assert app.tray.icon.toolTip() == status.summary

    core.backend.database = "fail"
    with qtbot.waitSignal(
        app.status_changed, timeout=5000, check_params_cb=lambda s: s.level is Level.ERROR
    ) as blocker:
        core.advance(2)
    assert blocker.args[0].label == "failed"
    assert core.monitor.supervisor.state is State.DEGRADED


def test_a_raised_alert_becomes_a_toast(
    qtbot: QtBot, app: TrayApp, core: FakeCore, toasts: Toasts
) -> None:
    app.start()
    core.step()
    core.backend.database = "fail"
    with qtbot.waitSignal(app.notifier.shown, timeout=5000) as blocker:
        core.advance(6)  # longer than the alert's minimum duration
    assert blocker.args == ["dbus"]
    assert toasts.items == [
        (
            "Database not answering",
            "The ERP server cannot reach its database, so the ERP cannot save or show data. "
            "Check that the database server (or the disk it uses) is working; Vigia keeps "
            "trying.",
            "error",
        )
    ]


def test_restart_from_the_menu_restarts_the_backend(
    qtbot: QtBot, app: TrayApp, core: FakeCore
) -> None:
    app.start()
    core.step()
    assert core.runner.starts == 1
    app.tray.actions["restart"].trigger()
    core.step()
    assert core.runner.starts == 2
    assert core.monitor.supervisor.state is State.RUNNING


def test_the_dashboard_opens_lazily_once(qtbot: QtBot, app: TrayApp, core: FakeCore) -> None:
    assert app.dashboard is None
    with qtbot.waitSignal(app.dashboard_opened, timeout=5000):
        app.tray.actions["dashboard"].trigger()
    first = app.dashboard
    assert first is not None and first.isVisible()
    first.close()  # hidden, kept
    assert not first.isVisible()
    with qtbot.waitSignal(app.dashboard_opened, timeout=5000):
        app.on_instance_command_received("show")  # what a second launch asks
    assert app.dashboard is first and first.isVisible()


def test_a_second_launch_can_ask_for_a_restart(qtbot: QtBot, app: TrayApp, core: FakeCore) -> None:
    app.start()
    core.step()
    app.on_instance_command_received("restart")
    core.step()
    assert core.runner.starts == 2


def test_quit_stops_the_backend(qtbot: QtBot, app: TrayApp, core: FakeCore) -> None:
    app.start()
    core.step()
    assert core.runner.alive
    app.shutdown()
    assert not core.runner.alive
    assert core.monitor.supervisor.state is State.STOPPED
    app.shutdown()  # a second time (aboutToQuit after logoff) is harmless


def test_an_uncaught_exception_is_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from desktop.ui.app import log_uncaught

    try:
        raise ValueError("boom in a slot")
    except ValueError as exc:
        with caplog.at_level(logging.CRITICAL, logger="desktop.ui.app"):
            log_uncaught(type(exc), exc, exc.__traceback__)
    [record] = [r for r in caplog.records if r.name == "desktop.ui.app"]
    assert record.levelno == logging.CRITICAL
    assert record.exc_info is not None and record.exc_info[1] is not None
    assert "boom in a slot" in str(record.exc_info[1])
