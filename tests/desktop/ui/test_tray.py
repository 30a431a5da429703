"""The tray icon's menu, double-click and status display (offscreen)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from desktop.core.supervisor import State
from desktop.ui.status import describe
from desktop.ui.tray import TrayIcon

MENU = [
    "&Open dashboard",
    "&Restart backend",
    "View &logs",
    "",
    "&Back up now",
    "Bac&kups…",
    "",
    "&Settings…",
    "&Export diagnostics…",
    "",
    "&Quit",
]


@pytest.fixture
def tray(qtbot: QtBot) -> TrayIcon:
    return TrayIcon()


def test_the_menu_has_the_entries_of_the_design_in_order(tray: TrayIcon) -> None:
    assert [a.text() for a in tray.menu.actions()] == MENU
    assert tray.icon.contextMenu() is tray.menu


@pytest.mark.parametrize(
    ("key", "signal"),
    [
        ("dashboard", "dashboard_requested"),
        ("restart", "restart_requested"),
        ("logs", "logs_requested"),
        ("backup_now", "backup_now_requested"),
        ("backups", "backups_requested"),
        ("settings", "settings_requested"),
        ("diagnostics", "diagnostics_requested"),
        ("quit", "quit_requested"),
    ],
)
def test_each_entry_asks_by_its_signal(qtbot: QtBot, tray: TrayIcon, key: str, signal: str) -> None:
    with qtbot.waitSignal(getattr(tray, signal), timeout=1000):
        tray.actions[key].trigger()


def test_double_click_opens_the_dashboard_a_single_click_does_not(
    qtbot: QtBot, tray: TrayIcon
) -> None:
    with qtbot.assertNotEmitted(tray.dashboard_requested):
        tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    with qtbot.waitSignal(tray.dashboard_requested, timeout=1000):
        tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.DoubleClick)


def test_status_sets_tooltip_and_icon(tray: TrayIcon) -> None:
    running = describe(State.RUNNING, "ok", None)
    tray.show_status(running)
    assert tray.icon.toolTip() == "Vigia: running"
    first = tray.icon.icon().cacheKey()
    tray.show_status(describe(State.FAILED, "the backend stopped", None))
    assert tray.icon.toolTip() == "Vigia: failed · the backend stopped"
    assert tray.icon.icon().cacheKey() != first
