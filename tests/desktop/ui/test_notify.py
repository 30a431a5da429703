"""Toasts: through the desktop's notification service when it answers, else the tray's
own balloon. (The real D-Bus path, with dunst, is in tests/e2e/test_tray.py.)"""

from __future__ import annotations

from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from desktop.ui.notify import Notifier


def test_the_service_shows_it_when_it_answers(qtbot: QtBot) -> None:
    sent: list[tuple[str, str, str]] = []
    notifier = Notifier(QSystemTrayIcon(), send=lambda *args: sent.append(args))
    with qtbot.waitSignal(notifier.shown, timeout=5000) as blocker:
        notifier.notify("Database not answering", "The ERP server cannot reach…", "error")
    assert blocker.args == ["dbus"]
    assert sent == [("Database not answering", "The ERP server cannot reach…", "error")]
    notifier.close()


def test_without_a_service_the_tray_shows_it(qtbot: QtBot) -> None:
    def no_service(title: str, text: str, severity: str) -> None:
        raise ConnectionRefusedError("no session bus")

    notifier = Notifier(QSystemTrayIcon(), send=no_service)
    with qtbot.waitSignal(notifier.shown, timeout=5000) as blocker:
        notifier.notify("Backup not made", "The disk is full.", "error")
    assert blocker.args == ["tray"]
    notifier.close()
