"""The log viewer's table: at most :data:`MAX_ROWS` records, newest at the bottom.

Rows are formatted once, in the worker thread (:func:`make_row`), so ``data()`` only
indexes a tuple: the view asks for the visible rows only, and a 20,000-row reset costs
what one list assignment costs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor

from embedded_backend.logs.reader import Record, level_number, record_time

MAX_ROWS = 20_000

TIME, LEVEL, LOGGER, MESSAGE, REQUEST = range(5)
_ERROR_COLOUR = QColor(190, 30, 30)
_WARNING_COLOUR = QColor(176, 110, 0)
_DEBUG_COLOUR = QColor(110, 110, 110)

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class LogRow:
    time: str
    level: str
    logger: str
    message: str  # first line
    request_id: str
    record: Record
    level_no: int

    def cell(self, column: int) -> str:
        return (self.time, self.level, self.logger, self.message, self.request_id)[column]

    def details(self) -> str:
        """The whole record, for the detail pane: message and traceback in full."""
        lines = [f"{self.time}  {self.level}  {self.logger}"]
        if self.request_id:
            lines.append(
                QCoreApplication.translate("LogTableModel", "Request {0}").format(self.request_id)
            )
        lines += ["", str(self.record.get("msg", ""))]
        extras = {
            k: v
            for k, v in self.record.items()
            if k not in ("ts", "level", "logger", "msg", "request_id", "exc")
        }
        if extras:
            lines += ["", json.dumps(extras, indent=2, ensure_ascii=False, default=str)]
        if self.record.get("exc"):
            lines += ["", str(self.record["exc"])]
        return "\n".join(lines)


def make_row(record: Record) -> LogRow:
    moment = record_time(record)
    when = _local(moment) if moment is not None else str(record.get("ts") or "")
    level = str(record.get("level") or "")
    message = str(record.get("msg", ""))
    first, newline, _ = message.partition("\n")
    if newline or record.get("exc"):
        first += " …"
    return LogRow(
        when,
        level,
        str(record.get("logger") or ""),
        first,
        str(record.get("request_id") or ""),
        record,
        level_number(level),
    )


def _local(moment: datetime) -> str:
    local = moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S.") + f"{local.microsecond // 1000:03d}"


class LogTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None, max_rows: int = MAX_ROWS) -> None:
        super().__init__(parent)
        self.max_rows = max_rows
        self._rows: list[LogRow] = []
        self._headers = (
            self.tr("Time"),
            self.tr("Level"),
            self.tr("Source"),
            self.tr("Message"),
            self.tr("Request ID"),
        )

    # -- changes -------------------------------------------------------------------------
    def set_rows(self, rows: list[LogRow]) -> None:
        self.beginResetModel()
        self._rows = rows[-self.max_rows :]
        self.endResetModel()

    def append_rows(self, rows: list[LogRow]) -> None:
        """Add at the bottom; the oldest rows go when there are more than ``max_rows``."""
        if not rows:
            return
        rows = rows[-self.max_rows :]
        overflow = len(self._rows) + len(rows) - self.max_rows
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            del self._rows[:overflow]
            self.endRemoveRows()
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()

    def clear(self) -> None:
        self.set_rows([])

    def row(self, index: int) -> LogRow:
        return self._rows[index]

    # -- QAbstractTableModel -------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.cell(index.column())
        if role == Qt.ItemDataRole.ForegroundRole:
            if row.level_no >= 40:
                return _ERROR_COLOUR
            if row.level_no == 30:
                return _WARNING_COLOUR
            if row.level_no == 10:
                return _DEBUG_COLOUR
            return None
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == MESSAGE:
            return str(row.record.get("msg", ""))[:2000]
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._headers[section]
        return None
