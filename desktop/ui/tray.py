"""The tray icon: colour and tooltip from the status, the menu, double-click.

The menu only asks (signals); the app (``desktop/ui/app.py``) decides what each entry
does, so the icon knows nothing about windows or the backend::

    dashboard_requested    Open dashboard, or a double-click on the icon
    restart_requested      Restart backend
    logs_requested         View logs
    backup_now_requested   Back up now
    backups_requested      Backups…
    settings_requested     Settings…
    diagnostics_requested  Export diagnostics…
    quit_requested         Quit
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from desktop.ui.icons import state_icon
from desktop.ui.status import Level, TrayStatus

log = logging.getLogger(__name__)


class TrayIcon(QObject):
    dashboard_requested = Signal()
    restart_requested = Signal()
    logs_requested = Signal()
    backup_now_requested = Signal()
    backups_requested = Signal()
    settings_requested = Signal()
    diagnostics_requested = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._icons: dict[Level, QIcon] = {level: state_icon(level) for level in Level}
        self.icon = QSystemTrayIcon(self._icons[Level.OFF], self)
        self.icon.setToolTip(self.tr("Vigia: starting"))
        self.menu = QMenu()
        self.menu.setObjectName("vigia-tray-menu")
        self.status: TrayStatus | None = None
        self.actions: dict[str, QAction] = {}
        self._build_menu()
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self.on_icon_activated)

    def _build_menu(self) -> None:
        entries = [
            ("dashboard", self.tr("&Open dashboard"), self.dashboard_requested),
            ("restart", self.tr("&Restart backend"), self.restart_requested),
            ("logs", self.tr("View &logs"), self.logs_requested),
            None,
            ("backup_now", self.tr("&Back up now"), self.backup_now_requested),
            ("backups", self.tr("Bac&kups…"), self.backups_requested),
            None,
            ("settings", self.tr("&Settings…"), self.settings_requested),
            ("diagnostics", self.tr("&Export diagnostics…"), self.diagnostics_requested),
            None,
            ("quit", self.tr("&Quit"), self.quit_requested),
        ]
        for entry in entries:
            if entry is None:
                self.menu.addSeparator()
                continue
            key, text, signal = entry
            action = self.menu.addAction(text)
            action.setObjectName(f"tray-{key}")
            action.triggered.connect(signal)
            self.actions[key] = action
        font = self.actions["dashboard"].font()
        font.setBold(True)  # the default action (double-click)
        self.actions["dashboard"].setFont(font)

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def close(self) -> None:
        self.icon.hide()
        self.menu.deleteLater()

    def show_status(self, status: TrayStatus) -> None:
        if self.status is None or status.level is not self.status.level:
            self.icon.setIcon(self._icons[status.level])
        if self.status is None or status.summary != self.status.summary:
            self.icon.setToolTip(status.summary)
        self.status = status

    @Slot(QSystemTrayIcon.ActivationReason)
    def on_icon_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason is QSystemTrayIcon.ActivationReason.DoubleClick:
            self.dashboard_requested.emit()
