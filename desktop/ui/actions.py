"""The menu entries that open other windows: logs, backups, settings, diagnostics.

Each window's module is imported the first time its entry is used (the tray starts
faster and a build without one still runs). A window that is already open is raised
instead of opened twice. When a module is not part of this build, the entry says so in
a message box instead of failing::

    desktop/ui/logs/viewer.py       LogViewer(ctx, parent=None)
    desktop/ui/backups.py           BackupsWindow(ctx, parent=None)
    desktop/ui/settings_dialog.py   SettingsDialog(ctx, parent=None)
    desktop/ui/diagnostics.py       export_diagnostics_interactive(parent, ctx)

"Back up now" starts a backup in the backups window (its ``start_backup()``) when that
window exists; otherwise it asks the admin API directly and reports with a toast. A
window with a ``restart_requested`` signal (the settings, after a change that needs a
restart) is connected to this object's ``restart_requested``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from types import ModuleType
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.ui.context import UiContext
from desktop.ui.tasks import run_task

log = logging.getLogger(__name__)

LOGS = ("desktop.ui.logs.viewer", "LogViewer")
BACKUPS = ("desktop.ui.backups", "BackupsWindow")
SETTINGS = ("desktop.ui.settings_dialog", "SettingsDialog")
DIAGNOSTICS = ("desktop.ui.diagnostics", "export_diagnostics_interactive")


class Unavailable(Exception):
    """The module of a window is not part of this build."""


def load(module: str, attribute: str) -> Any:
    """``module.attribute``; Unavailable if the module itself does not exist (an import
    error inside it is a bug and is raised as it is)."""
    try:
        found: ModuleType = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module == exc.name or module.startswith(exc.name + ".")):
            raise Unavailable(module) from None
        raise
    try:
        return getattr(found, attribute)
    except AttributeError:
        raise Unavailable(f"{module}.{attribute}") from None


class WindowActions(QObject):
    # A message shown instead of a window (tests and the e2e harness watch it).
    informed = Signal(str)
    # A toast to show (title, text, severity): the app passes it to the notifier.
    toast = Signal(str, str, str)
    # A window asked to restart the backend (the settings, after a change that needs it).
    restart_requested = Signal()

    def __init__(self, ctx: UiContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.windows: dict[str, QWidget] = {}
        self._boxes: list[QMessageBox] = []

    # -- menu entries ------------------------------------------------------------------
    def open_logs(self) -> QWidget | None:
        return self._open("logs", *LOGS)

    def open_backups(self) -> QWidget | None:
        return self._open("backups", *BACKUPS)

    def open_settings(self) -> QWidget | None:
        return self._open("settings", *SETTINGS)

    def export_diagnostics(self, parent: QWidget | None = None) -> None:
        try:
            export: Callable[[QWidget | None, UiContext], object] = load(*DIAGNOSTICS)
        except Unavailable:
            self._not_available(self.tr("Export diagnostics is not available in this build."))
            return
        export(parent, self.ctx)

    def back_up_now(self) -> None:
        try:
            load(*BACKUPS)
        except Unavailable:
            self._back_up_through_api()
            return
        window = self.open_backups()
        start = getattr(window, "start_backup", None)
        if callable(start):
            start()
        else:
            self._back_up_through_api()

    # -- helpers -------------------------------------------------------------------------
    def _open(self, key: str, module: str, attribute: str) -> QWidget | None:
        window = self.windows.get(key)
        if window is not None:
            _raise(window)
            return window
        try:
            factory: Callable[..., QWidget] = load(module, attribute)
        except Unavailable:
            texts = {
                "logs": self.tr("The log viewer is not available in this build."),
                "backups": self.tr("The backups window is not available in this build."),
                "settings": self.tr("The settings are not available in this build."),
            }
            self._not_available(texts[key])
            return None
        window = factory(self.ctx)
        restart = getattr(window, "restart_requested", None)
        if restart is not None:
            restart.connect(self.restart_requested)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.destroyed.connect(lambda _=None, k=key: self.windows.pop(k, None))
        self.windows[key] = window
        _raise(window)
        return window

    def _not_available(self, text: str) -> None:
        log.info("%s", text)
        box = QMessageBox(QMessageBox.Icon.Information, "Vigia", text)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _=0, b=box: self._boxes.remove(b))
        self._boxes.append(box)
        box.open()
        self.informed.emit(text)

    def _back_up_through_api(self) -> None:
        task = run_task(self.ctx.client.create_backup, self)
        task.succeeded.connect(
            lambda _: self.toast.emit(
                self.tr("Backup started"),
                self.tr("The server is making a backup; Backups… shows the result."),
                "info",
            )
        )
        task.failed.connect(lambda why: self.toast.emit(self.tr("Backup not made"), why, "error"))

    def close_all(self) -> None:
        for window in list(self.windows.values()):
            window.close()
        for box in list(self._boxes):
            box.close()


def _raise(window: QWidget) -> None:
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()
