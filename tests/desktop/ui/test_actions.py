"""Menu entries that open other windows: lazily imported, opened once, and a plain
message (not a crash) when a window is not part of the build."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from desktop.ui import actions
from desktop.ui.actions import Unavailable, WindowActions, load
from tests.desktop.ui.fake_core import FakeCore, fake_core

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def core(home: Path) -> Iterator[FakeCore]:
    with fake_core(home) as core:
        yield core


@pytest.fixture
def window_actions(qtbot: QtBot, core: FakeCore) -> Iterator[WindowActions]:
    opener = WindowActions(core.ctx)
    yield opener
    opener.close_all()


def test_load_tells_a_missing_module_from_a_broken_one() -> None:
    with pytest.raises(Unavailable):
        load("desktop.ui.no_such_window", "Window")
    with pytest.raises(Unavailable):
        load("desktop.ui.tray", "NoSuchClass")
    assert load("desktop.ui.tray", "TrayIcon").__name__ == "TrayIcon"


def test_a_window_missing_from_the_build_gets_a_message_box(
    qtbot: QtBot, window_actions: WindowActions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(actions, "SETTINGS", ("desktop.ui.no_such_dialog", "SettingsDialog"))
    with qtbot.waitSignal(window_actions.informed, timeout=1000) as blocker:
        assert window_actions.open_settings() is None
    assert blocker.args == ["The settings are not available in this build."]
    boxes = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]
    assert [b.text() for b in boxes] == ["The settings are not available in this build."]


def test_export_diagnostics_missing_gets_a_message_box(
    qtbot: QtBot, window_actions: WindowActions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(actions, "DIAGNOSTICS", ("desktop.ui.no_such_module", "export"))
    with qtbot.waitSignal(window_actions.informed, timeout=1000) as blocker:
        window_actions.export_diagnostics()
    assert blocker.args == ["Export diagnostics is not available in this build."]


def test_the_log_viewer_opens_once_and_is_forgotten_when_closed(
    qtbot: QtBot, window_actions: WindowActions
) -> None:
    from desktop.ui.logs.viewer import LogViewer

    viewer = window_actions.open_logs()
    assert isinstance(viewer, LogViewer) and viewer.isVisible()
    assert window_actions.open_logs() is viewer
    viewer.close()  # deleted on close: the next entry opens a new one
    qtbot.waitUntil(lambda: "logs" not in window_actions.windows, timeout=5000)


def test_back_up_now_without_a_backups_window_asks_the_api(
    qtbot: QtBot, window_actions: WindowActions, core: FakeCore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(actions, "BACKUPS", ("desktop.ui.no_such_module", "BackupsWindow"))
    core.monitor.start()
    core.step()
    with qtbot.waitSignal(window_actions.toast, timeout=5000) as blocker:
        window_actions.back_up_now()
    assert blocker.args[0] == "Backup started"
    assert ("POST", "/api/v1/admin/backups") in core.backend.calls


def test_back_up_now_starts_the_backup_in_the_backups_window(
    qtbot: QtBot, window_actions: WindowActions, core: FakeCore
) -> None:
    from desktop.ui.backups import BackupsWindow

    core.monitor.start()
    core.step()
    window_actions.back_up_now()
    window = window_actions.windows["backups"]
    assert isinstance(window, BackupsWindow) and window.isVisible()
    qtbot.waitUntil(lambda: ("POST", "/api/v1/admin/backups") in core.backend.calls, timeout=5000)


def test_the_settings_can_ask_for_a_restart(
    qtbot: QtBot, window_actions: WindowActions, core: FakeCore
) -> None:
    from desktop.ui.settings_dialog import SettingsDialog

    dialog = window_actions.open_settings()
    assert isinstance(dialog, SettingsDialog)
    with qtbot.waitSignal(window_actions.restart_requested, timeout=1000):
        dialog.restart_requested.emit()
