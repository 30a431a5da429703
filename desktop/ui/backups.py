"""The backups window: the list (date, size, trigger, verified), Back up now, Verify,
Restore and Open folder, all through the backend's admin API (so it works the same for a
backend on this PC and one on a server).

Making, verifying and restoring are jobs in the backend (``/api/v1/admin/backups``);
the window follows a job with a progress bar (:class:`~desktop.ui.job_follower.
JobFollower`). The API cannot cancel a job: Cancel stops waiting and says that the
backup goes on in the server. A restore asks first, naming the backup's date and saying
that the current data will be replaced; when it is done it shows the safety backup the
backend made of the data as it was just before.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QDateTime, QLocale, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.context import UiContext
from desktop.ui.job_follower import JobFollower
from desktop.ui.tasks import run_task

log = logging.getLogger(__name__)

DATE, SIZE, TRIGGER, VERIFIED, STATE = range(5)
Json = dict[str, Any]


class BackupsWindow(QWidget):
    listed = Signal(int)  # rows in the list after a refresh
    progressed = Signal(float, str)  # the running job: 0..1, step
    job_finished = Signal(str, object)  # kind (create|verify|restore), the job's JSON
    job_failed = Signal(str, str)  # kind, plain words
    restored = Signal(str)  # the id of the safety backup made before the restore
    failed = Signal(str)  # a request that could not be made (server down, refused ...)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.folder: str | None = None
        self.backups: list[Json] = []
        self.follower: JobFollower | None = None
        self.confirm_box: QMessageBox | None = None  # the restore's question, while open
        self.result_box: QMessageBox | None = None  # the restore's outcome
        self._confirming: Json | None = None
        self._replace_button: QAbstractButton | None = None
        self._kind = ""
        self._subject: Json | None = None
        self._keep_status = False  # a job's outcome stays shown when the list refreshes
        self.setWindowTitle(self.tr("Vigia — Backups"))
        self.resize(820, 460)
        self._build()
        self._connect_signals()
        self._update_buttons()
        self.refresh()

    # -- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.backup_button = QPushButton(self.tr("Back up now"))
        self.verify_button = QPushButton(self.tr("Verify"))
        self.restore_button = QPushButton(self.tr("Restore…"))
        self.folder_button = QPushButton(self.tr("Open folder"))
        self.refresh_button = QPushButton(self.tr("Refresh"))
        if self.ctx.remote:
            self.folder_button.setEnabled(False)
            self.folder_button.setToolTip(self.tr("The backups are on the server computer."))
        bar = QHBoxLayout()
        for button in (self.backup_button, self.verify_button, self.restore_button):
            bar.addWidget(button)
        bar.addStretch(1)
        bar.addWidget(self.folder_button)
        bar.addWidget(self.refresh_button)

        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Date"),
                self.tr("Size"),
                self.tr("Made"),
                self.tr("Verified"),
                self.tr("State"),
            ]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(STATE, QHeaderView.ResizeMode.Stretch)

        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.step_label = QLabel()
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop waiting (the server finishes the job)"))
        job_row = QHBoxLayout()
        job_row.addWidget(self.step_label, 1)
        job_row.addWidget(self.progress, 1)
        job_row.addWidget(self.cancel_button)
        self.job_panel = QWidget()
        self.job_panel.setLayout(job_row)
        self.job_panel.setVisible(False)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.job_panel)
        layout.addWidget(self.status)

    def _connect_signals(self) -> None:
        self.backup_button.clicked.connect(self.start_backup)
        self.verify_button.clicked.connect(self.verify_selected)
        self.restore_button.clicked.connect(self.restore_selected)
        self.folder_button.clicked.connect(self.open_folder)
        self.refresh_button.clicked.connect(self.refresh)
        self.cancel_button.clicked.connect(self.on_cancel_clicked)
        self.table.itemSelectionChanged.connect(self._update_buttons)

    # -- the list ------------------------------------------------------------------------
    @Slot()
    def refresh(self) -> None:
        self._keep_status = False
        self._list()

    def _list(self) -> None:
        task = run_task(self.ctx.client.backups, self)
        task.succeeded.connect(self.on_list_succeeded)
        task.failed.connect(self.on_request_failed)

    @Slot(object)
    def on_list_succeeded(self, answer: Json) -> None:
        items = answer.get("items")
        self.backups = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
        folder = answer.get("folder")
        self.folder = folder if isinstance(folder, str) else None
        selected = self.selected()
        self.table.setRowCount(len(self.backups))
        for row, backup in enumerate(self.backups):
            for column, text in enumerate(self._cells(backup)):
                item = QTableWidgetItem(text)
                if column == SIZE:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if backup.get("status") != "ok":
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(row, column, item)
            if selected is not None and backup.get("id") == selected.get("id"):
                self.table.selectRow(row)
        if not self._keep_status and not self.job_panel.isVisible():
            good = sum(1 for b in self.backups if b.get("status") == "ok")
            self.status.setText(
                self.tr("%n backup(s).", "", good)
                if self.backups
                else self.tr("There are no backups yet. Click “Back up now” to make one.")
            )
        self._update_buttons()
        self.listed.emit(len(self.backups))

    def _cells(self, backup: Json) -> list[str]:
        ok = backup.get("status") == "ok"
        verified = self.tr("No")
        if ok and backup.get("verified"):
            last = backup.get("last_verified_at")
            verified = (
                self.tr("Yes, on {0}").format(self.date_text(last, time=False))
                if last
                else self.tr("Yes, when made")
            )
        state = (
            self.tr("Usable")
            if ok
            else self.tr("Not usable: {0}").format(backup.get("problem") or "?")
        )
        return [
            self.date_text(backup.get("created_at")),
            self.size_text(backup.get("size")),
            self.trigger_text(backup.get("trigger")),
            verified,
            state,
        ]

    def date_text(self, value: object, time: bool = True) -> str:
        moment = QDateTime.fromString(str(value or ""), Qt.DateFormat.ISODateWithMs)
        if not moment.isValid():
            moment = QDateTime.fromString(str(value or ""), Qt.DateFormat.ISODate)
        if not moment.isValid():
            return str(value or "?")
        local = moment.toLocalTime()
        locale = QLocale()
        if not time:
            return locale.toString(local.date(), QLocale.FormatType.ShortFormat)
        return locale.toString(local, QLocale.FormatType.ShortFormat)

    @staticmethod
    def size_text(size: object) -> str:
        if not isinstance(size, int):
            return "?"
        return QLocale().formattedDataSize(
            size, 1, QLocale.DataSizeFormat.DataSizeTraditionalFormat
        )

    def trigger_text(self, trigger: object) -> str:
        names = {
            "manual": self.tr("By hand"),
            "schedule": self.tr("Scheduled"),
            "pre-restore": self.tr("Before a restore"),
            "pre-migration": self.tr("Before an update"),
        }
        return names.get(str(trigger), str(trigger or "?"))

    def selected(self) -> Json | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.backups):
            return None
        return self.backups[rows[0].row()]

    def select_backup(self, backup_id: str) -> bool:
        for row, backup in enumerate(self.backups):
            if backup.get("id") == backup_id:
                self.table.selectRow(row)
                return True
        return False

    @Slot()
    def _update_buttons(self) -> None:
        busy = self.follower is not None and self.follower.active
        chosen = self.selected()
        usable = chosen is not None and chosen.get("status") == "ok"
        self.backup_button.setEnabled(not busy)
        self.verify_button.setEnabled(not busy and chosen is not None)
        self.restore_button.setEnabled(not busy and usable)

    # -- actions -------------------------------------------------------------------------
    @Slot()
    def start_backup(self) -> None:
        """Back up now (also the tray menu's "Back up now")."""
        if self.follower is not None and self.follower.active:
            return
        self._start("create", None, self.ctx.client.create_backup)

    @Slot()
    def verify_selected(self) -> None:
        backup = self.selected()
        if backup is not None:
            backup_id, client = str(backup["id"]), self.ctx.client
            self._start("verify", backup, lambda: client.verify_backup(backup_id))

    @Slot()
    def restore_selected(self) -> None:
        backup = self.selected()
        if backup is None or backup.get("status") != "ok":
            return
        when = self.date_text(backup.get("created_at"))
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Restore a backup"))
        box.setText(self.tr("Restore the backup of {0}?").format(when))
        box.setInformativeText(
            self.tr(
                "All the current data of the ERP will be replaced by the data of {0}; "
                "everything recorded after that moment will be gone from the ERP. "
                "Before replacing it, Vigia makes a safety backup of the current data, so "
                "this can be undone. While the data is replaced (usually seconds) the ERP "
                "does not accept changes."
            ).format(when)
        )
        self._replace_button = box.addButton(
            self.tr("Replace the data"), QMessageBox.ButtonRole.DestructiveRole
        )
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(self.on_confirm_finished)
        self._confirming = backup
        self.confirm_box = box
        box.open()

    @Slot(int)
    def on_confirm_finished(self, _result: int) -> None:
        box, self.confirm_box = self.confirm_box, None
        backup, self._confirming = self._confirming, None
        if box is None or backup is None:
            return
        confirmed = box.clickedButton() is self._replace_button
        self._replace_button = None
        box.deleteLater()
        if confirmed:
            backup_id, client = str(backup["id"]), self.ctx.client
            self._start("restore", backup, lambda: client.restore_backup(backup_id))

    @Slot()
    def open_folder(self) -> None:
        if self.ctx.remote or not self.folder:
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(self.folder))

    @Slot()
    def on_cancel_clicked(self) -> None:
        if self.follower is None or not self.follower.active:
            return
        self.follower.stop()
        self._end_job()
        if self._kind == "restore":
            text = self.tr(
                "Stopped waiting. The restore goes on in the server; it cannot be "
                "interrupted safely. Refresh the list later to see its result."
            )
        else:
            text = self.tr(
                "Stopped waiting. The backup goes on in the server; it will appear in the "
                "list when it is done."
            )
        self.status.setText(text)

    # -- jobs ------------------------------------------------------------------------------
    def _start(self, kind: str, subject: Json | None, call: Any) -> None:
        """Ask the server to start a job with ``call`` (off the GUI thread), then follow it."""
        self._kind, self._subject = kind, subject
        self._begin_job(self.tr("Asking the server…"))
        task = run_task(call, self)
        task.succeeded.connect(self.on_job_started)
        task.failed.connect(self.on_job_start_failed)

    @Slot(object)
    def on_job_started(self, job: Json) -> None:
        follower = JobFollower(self.ctx.client, job, self)
        follower.progressed.connect(self.on_job_progressed)
        follower.finished.connect(self.on_job_finished)
        follower.failed.connect(self.on_job_failed)
        self.follower = follower
        self._update_buttons()
        follower.start()

    @Slot(str)
    def on_job_start_failed(self, message: str) -> None:
        self._end_job()
        self.status.setText(message)
        self.job_failed.emit(self._kind, message)

    @Slot(float, str)
    def on_job_progressed(self, fraction: float, step: str) -> None:
        self.progress.setValue(round(fraction * 100))
        self.step_label.setText(step)
        self.progressed.emit(fraction, step)

    @Slot(object)
    def on_job_finished(self, job: Json) -> None:
        self._end_job()
        result = job.get("result") if isinstance(job.get("result"), dict) else {}
        assert isinstance(result, dict)
        if self._kind == "create":
            when = self.date_text(result.get("created_at"))
            self.status.setText(self.tr("Backup made ({0}) and checked.").format(when))
        elif self._kind == "verify":
            when = self.date_text((self._subject or {}).get("created_at"))
            if result.get("ok"):
                self.status.setText(self.tr("The backup of {0} is intact.").format(when))
            else:
                self.status.setText(
                    self.tr("The backup of {0} is damaged: {1}").format(
                        when, result.get("problem") or "?"
                    )
                )
        elif self._kind == "restore":
            self._show_restored(result)
        self.job_finished.emit(self._kind, job)
        self._refresh_after_job()

    def _show_restored(self, result: Json) -> None:
        when = self.date_text((self._subject or {}).get("created_at"))
        safety = str(result.get("pre_restore_backup_id") or "?")
        text = self.tr(
            "The data of {0} was restored. A safety backup of the data as it was just "
            "before was made: {1} (it is in the list as “Before a restore”)."
        ).format(when, safety)
        self.status.setText(text)
        if self.result_box is not None:
            self.result_box.deleteLater()
        box = QMessageBox(
            QMessageBox.Icon.Information, self.tr("Restore finished"), text, parent=self
        )
        self.result_box = box
        box.open()
        self.restored.emit(safety)

    @Slot(str)
    def on_job_failed(self, message: str) -> None:
        self._end_job()
        names = {
            "create": self.tr("The backup was not made: {0}"),
            "verify": self.tr("The backup could not be verified: {0}"),
            "restore": self.tr("The restore was not done: {0}"),
        }
        self.status.setText(names.get(self._kind, "{0}").format(message))
        self.job_failed.emit(self._kind, message)
        self._refresh_after_job()

    def _refresh_after_job(self) -> None:
        self._keep_status = True
        self._list()

    @Slot(str)
    def on_request_failed(self, message: str) -> None:
        self.status.setText(message)
        self.failed.emit(message)

    def _begin_job(self, text: str) -> None:
        self.progress.setValue(0)
        self.step_label.setText(text)
        self.job_panel.setVisible(True)
        self.status.clear()
        for button in (self.backup_button, self.verify_button, self.restore_button):
            button.setEnabled(False)

    def _end_job(self) -> None:
        self.job_panel.setVisible(False)
        self._update_buttons()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.follower is not None:
            self.follower.stop()
        super().closeEvent(event)
