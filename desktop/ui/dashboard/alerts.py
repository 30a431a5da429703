"""The alerts list: active alerts first (worst first), then the history, newest first.

Alerts come from the tray's alert center. Those the backend itself raised (server
alerts, and the disk and backup alerts it shares with the tray) can be resolved here:
the backend's alert is resolved through the admin API, and the tray's copy clears when
the backend stops reporting it. The tray's own observations (the server is down, the
database does not answer, slow answers) clear by themselves when the problem is gone.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core.alerts import AlertRecord
from desktop.core.categories import Category
from desktop.ui.context import UiContext
from desktop.ui.tasks import run_task

# The backend's rules behind the tray categories it shares (see core/alert_rules.py).
_SHARED_RULES = {Category.DISK: "disk_free", Category.BACKUP: "backup_age"}
RESOLVABLE = frozenset({Category.SERVER, *_SHARED_RULES})
SEVERITY_COLOURS = {"warning": "#b88600", "error": "#d93025", "critical": "#a50e0e"}


def server_alert_ids(record: AlertRecord, active: Iterable[Mapping[str, Any]]) -> list[str]:
    """The ids of the backend's active alerts behind a tray alert record."""
    ids = []
    for alert in active:
        rule, subject = str(alert.get("rule", "")), str(alert.get("subject", ""))
        if record.category is Category.SERVER:
            match = record.subject == f"{rule}:{subject}"
        else:
            match = _SHARED_RULES.get(record.category) == rule
        if match and isinstance(alert.get("id"), str):
            ids.append(str(alert["id"]))
    return ids


def _when(at: float | None) -> str:
    if at is None:
        return ""
    moment = datetime.fromtimestamp(at)
    if time.time() - at < 20 * 3600:
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%Y-%m-%d %H:%M")


class AlertsPanel(QWidget):
    resolved = Signal(str)  # the tray alert id whose backend alert was resolved
    resolve_failed = Signal(str)  # why, in words

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("alerts-table")
        self.resolve_button = QPushButton(self.tr("Resolve"))
        self.message = QLabel()
        self.records: list[AlertRecord] = []
        self._busy = False
        self._build()
        self._connect_signals()
        self.reload()

    def _build(self) -> None:
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("State"),
                self.tr("Severity"),
                self.tr("Alert"),
                self.tr("Since"),
                self.tr("Resolved"),
            ]
        )
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        for column in (0, 1, 3, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        bar = QHBoxLayout()
        self.message.setWordWrap(True)
        bar.addWidget(self.message, 1)
        bar.addWidget(self.resolve_button)
        layout.addLayout(bar)

    def _connect_signals(self) -> None:
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.resolve_button.clicked.connect(self.resolve_selected)

    # -- data --------------------------------------------------------------------------
    def on_alert_changed(self, record: AlertRecord) -> None:
        self.reload()

    def reload(self) -> None:
        selected = self.selected()
        center = self.ctx.monitor.alerts
        active = center.active()
        ids = {r.id for r in active}
        self.records = active + [r for r in center.history() if r.id not in ids]
        words = {
            "warning": self.tr("warning"),
            "error": self.tr("error"),
            "critical": self.tr("critical"),
        }
        self.table.setRowCount(len(self.records))
        for row, record in enumerate(self.records):
            state = self.tr("active") if record.active else self.tr("resolved")
            values = (
                state,
                words.get(record.severity, record.severity),
                f"{record.title}: {record.message}",
                _when(record.raised_at),
                _when(record.resolved_at),
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column == 2:
                    item.setToolTip(record.message)
                if column == 1 and record.active:
                    item.setForeground(QColor(SEVERITY_COLOURS.get(record.severity, "#000")))
                if not record.active:
                    item.setForeground(
                        self.palette().color(self.palette().ColorRole.PlaceholderText)
                    )
                self.table.setItem(row, column, item)
            if record.id == selected:
                self.table.selectRow(row)
        self.table.resizeRowsToContents()
        self._update_buttons()

    def selected(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.records):
            return None
        return self.records[rows[0].row()].id

    def select(self, alert_id: str) -> None:
        for row, record in enumerate(self.records):
            if record.id == alert_id:
                self.table.selectRow(row)
                return
        raise KeyError(alert_id)

    def _record(self, alert_id: str | None) -> AlertRecord | None:
        return next((r for r in self.records if r.id == alert_id), None)

    # -- resolve ---------------------------------------------------------------------------
    @Slot()
    def _update_buttons(self) -> None:
        record = self._record(self.selected())
        resolvable = record is not None and record.active and record.category in RESOLVABLE
        self.resolve_button.setEnabled(resolvable and self.ctx.client.has_token and not self._busy)
        if record is not None and record.active and record.category not in RESOLVABLE:
            self.resolve_button.setToolTip(
                self.tr("Vigia's own alerts clear by themselves when the problem is gone.")
            )
        else:
            self.resolve_button.setToolTip("")

    def resolve_selected(self) -> None:
        record = self._record(self.selected())
        if record is None:
            return
        client = self.ctx.client

        def resolve() -> int:
            ids = server_alert_ids(record, client.alerts().get("active", []))
            for alert_id in ids:
                client.resolve_alert(alert_id)
            return len(ids)

        self._busy = True
        self._update_buttons()
        self.message.setText(self.tr("Please wait…"))
        task = run_task(resolve, self)
        task.succeeded.connect(lambda count: self._on_resolved(record.id, int(count)))
        task.failed.connect(self._on_resolve_failed)

    def _on_resolved(self, alert_id: str, count: int) -> None:
        self._busy = False
        if count:
            self.message.setText(
                self.tr("Resolved on the server; it leaves this list in a few seconds.")
            )
            self.resolved.emit(alert_id)
        else:
            self.message.setText(self.tr("The server no longer reports this alert."))
        self._update_buttons()

    def _on_resolve_failed(self, why: str) -> None:
        self._busy = False
        self.message.setText(why)
        self._update_buttons()
        self.resolve_failed.emit(why)
