"""Tray menu "Export diagnostics": ask where to save, write the support bundle in a worker
thread (:func:`embedded_backend.diagnostics.export_diagnostics`: logs, redacted
settings, health history, alerts, system info, versions; never secrets or ERP data), then
say where it is, with a button that opens its folder.

In remote mode the bundle also holds what the server's admin API answers (health,
alerts, routers, performance); the server's own log files stay on the server (its
``vigia diagnostics`` makes them into a bundle there).
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import ClassVar, TypeGuard, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QStandardPaths, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from desktop.core.errors import Error
from desktop.ui.context import UiContext
from desktop.ui.tasks import run_task
from embedded_backend.diagnostics import Bundle, export_diagnostics
from embedded_backend.errors import Error as BackendError

log = logging.getLogger(__name__)

W = TypeVar("W", bound=QWidget)


class DiagnosticsExport(QObject):
    finished = Signal(object)  # the Bundle written
    failed = Signal(str)  # why not, in plain words

    _running: ClassVar[set[DiagnosticsExport]] = set()  # kept alive while working

    def __init__(self, ctx: UiContext, target: Path, parent: QWidget | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.target = target
        self.window = parent
        self.progress: QProgressDialog | None = None
        self.message_box: QMessageBox | None = None
        self.bundle: Bundle | None = None

    def start(self) -> DiagnosticsExport:
        DiagnosticsExport._running.add(self)
        progress = QProgressDialog(
            self.tr("Collecting logs, settings and system information…"), "", 0, 0, self.window
        )
        progress.setCancelButton(None)
        progress.setWindowTitle(self.tr("Export diagnostics"))
        progress.setMinimumDuration(500)
        self.progress = progress
        ctx, target = self.ctx, self.target
        # No parent: this object lets go of itself when the task reports (_done).
        task = run_task(lambda: _export(ctx, target))
        task.succeeded.connect(self.on_task_succeeded)
        task.failed.connect(self.on_task_failed)
        return self

    @Slot(object)
    def on_task_succeeded(self, bundle: Bundle) -> None:
        self._done()
        self.bundle = bundle
        text = self.tr(
            "The diagnostics were saved to:\n{0}\n\nSend this file to your IT support. It "
            "has the logs, the settings without passwords and information about this "
            "computer; it has no ERP data."
        ).format(bundle.path)
        box = QMessageBox(
            QMessageBox.Icon.Information, self.tr("Export diagnostics"), text, parent=self._window()
        )
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        folder = box.addButton(self.tr("Open folder"), QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        folder.clicked.connect(self.on_open_folder_clicked)
        self.message_box = box
        box.open()
        self.finished.emit(bundle)

    @Slot(str)
    def on_task_failed(self, message: str) -> None:
        self._done()
        text = self.tr("The diagnostics could not be saved: {0}").format(message)
        box = QMessageBox(
            QMessageBox.Icon.Warning, self.tr("Export diagnostics"), text, parent=self._window()
        )
        self.message_box = box
        box.open()
        self.failed.emit(message)

    @Slot()
    def on_open_folder_clicked(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.target.parent)))

    def _window(self) -> QWidget | None:
        """The window that asked, unless it was closed (and deleted) meanwhile."""
        return self.window if _alive(self.window) else None

    def _done(self) -> None:
        progress, self.progress = self.progress, None
        if _alive(progress):  # gone with its window if that was deleted
            progress.reset()
            progress.deleteLater()
        DiagnosticsExport._running.discard(self)


def _alive(widget: W | None) -> TypeGuard[W]:
    return widget is not None and shiboken6.isValid(widget)


def _export(ctx: UiContext, target: Path) -> Bundle:  # worker thread
    url, token = ctx.client.connection()
    try:
        return export_diagnostics(
            target,
            settings=ctx.settings,
            home=ctx.home,
            force=True,  # the save dialog already asked about replacing the file
            backend_url=url,
            token=token,
        )
    except BackendError as exc:
        raise Error(str(exc)) from None


def default_target() -> Path:
    folder = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation
    ) or str(Path.home())
    return Path(folder) / f"vigia-diagnostics-{datetime.now():%Y%m%d-%H%M}.zip"


def export_diagnostics_interactive(
    parent: QWidget | None, ctx: UiContext, target: Path | None = None
) -> DiagnosticsExport | None:
    """Ask where to save (unless ``target`` is given), then export in the background.
    Returns the running export (its ``finished``/``failed`` signals), or None when the
    user cancelled the file dialog."""
    if target is None:
        chosen, _ = QFileDialog.getSaveFileName(
            parent,
            QCoreApplication.translate("DiagnosticsExport", "Export diagnostics"),
            str(default_target()),
            QCoreApplication.translate("DiagnosticsExport", "Zip files (*.zip)"),
        )
        if not chosen:
            return None
        target = Path(chosen)
        if target.suffix.lower() != ".zip":
            target = target.with_name(target.name + ".zip")
    log.info("exporting diagnostics to %s", target)
    return DiagnosticsExport(ctx, target, parent).start()
