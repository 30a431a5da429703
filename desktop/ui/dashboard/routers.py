"""The routers table: each ERP module (router) with its prefix, status and error, from
the latest health answer; administrators can disable or enable one (admin API).

A router the health check reports as ``warn`` without an error type was disabled by an
administrator; one with an error type failed to load.
"""

from __future__ import annotations

import logging

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

from desktop.core.samples import RouterCheck, Sample
from desktop.ui.context import UiContext
from desktop.ui.tasks import run_task

log = logging.getLogger(__name__)

COLUMNS = ("name", "prefix", "status", "error")


def router_state(router: RouterCheck) -> str:
    """working | failed | disabled"""
    if router.failed:
        return "failed"
    return "working" if router.status == "pass" else "disabled"


class RoutersPanel(QWidget):
    # A change was made (name, "enabled"/"disabled") or refused (name, message).
    toggled = Signal(str, str)
    toggle_failed = Signal(str, str)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("routers-table")
        self.disable_button = QPushButton(self.tr("Disable"))
        self.enable_button = QPushButton(self.tr("Enable"))
        self.message = QLabel()
        self.routers: tuple[RouterCheck, ...] = ()
        self._busy = False
        self._build()
        self._connect_signals()
        self._update_buttons()

    def _build(self) -> None:
        self.table.setHorizontalHeaderLabels(
            [self.tr("Name"), self.tr("Prefix"), self.tr("Status"), self.tr("Error")]
        )
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        bar = QHBoxLayout()
        self.message.setWordWrap(True)
        bar.addWidget(self.message, 1)
        bar.addWidget(self.disable_button)
        bar.addWidget(self.enable_button)
        layout.addLayout(bar)
        if not self.ctx.client.has_token:
            self.message.setText(
                self.tr("Enabling and disabling modules needs the server's admin token.")
            )

    def _connect_signals(self) -> None:
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.disable_button.clicked.connect(lambda: self.set_enabled(False))
        self.enable_button.clicked.connect(lambda: self.set_enabled(True))

    # -- data ------------------------------------------------------------------------
    def on_sample_taken(self, sample: Sample) -> None:
        if sample.answered and sample.routers != self.routers:
            self.show_routers(sample.routers)

    def show_routers(self, routers: tuple[RouterCheck, ...]) -> None:
        selected = self.selected()
        self.routers = routers
        words = {
            "working": self.tr("working"),
            "failed": self.tr("failed"),
            "disabled": self.tr("disabled"),
        }
        colours = {"failed": QColor("#d93025"), "disabled": QColor("#80868b")}
        self.table.setRowCount(len(routers))
        for row, router in enumerate(routers):
            state = router_state(router)
            values = (router.name, router.prefix or "", words[state], router.error or "")
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column == 3 and value:
                    item.setToolTip(value)
                if state in colours and column == 2:
                    item.setForeground(colours[state])
                self.table.setItem(row, column, item)
            if router.name == selected:
                self.table.selectRow(row)
        self._update_buttons()

    def selected(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return item.text() if item is not None else None

    def select(self, name: str) -> None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.text() == name:
                self.table.selectRow(row)
                return
        raise KeyError(name)

    # -- actions -----------------------------------------------------------------------
    @Slot()
    def _update_buttons(self) -> None:
        name = self.selected()
        router = next((r for r in self.routers if r.name == name), None)
        allowed = self.ctx.client.has_token and not self._busy and router is not None
        state = router_state(router) if router is not None else None
        self.disable_button.setEnabled(allowed and state != "disabled" and name != "admin")
        self.enable_button.setEnabled(allowed and state == "disabled")

    def set_enabled(self, enabled: bool) -> None:
        name = self.selected()
        if name is None:
            return
        client = self.ctx.client
        call = client.enable_router if enabled else client.disable_router
        self._busy = True
        self._update_buttons()
        self.message.setText(self.tr("Please wait…"))
        task = run_task(lambda: call(name), self)
        task.succeeded.connect(lambda _: self._on_toggled(name, enabled))
        task.failed.connect(lambda why: self._on_toggle_failed(name, why))

    def _on_toggled(self, name: str, enabled: bool) -> None:
        self._busy = False
        text = self.tr("Module {name} enabled.") if enabled else self.tr("Module {name} disabled.")
        self.message.setText(text.format(name=name))
        self.ctx.monitor.poller.poll_now()  # the table follows the next health answer
        self._update_buttons()
        self.toggled.emit(name, "enabled" if enabled else "disabled")

    def _on_toggle_failed(self, name: str, why: str) -> None:
        self._busy = False
        self.message.setText(why)
        self._update_buttons()
        self.toggle_failed.emit(name, why)
