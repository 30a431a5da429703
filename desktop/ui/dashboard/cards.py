"""The dashboard's small cards: the database (status, latency now and on average) and
this computer (CPU, memory, disk of the data folder, from psutil)."""

from __future__ import annotations

from pathlib import Path

import psutil
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QProgressBar, QWidget

from desktop.ui.dashboard.series import DatabaseFigures

SYSTEM_REFRESH_MS = 2000


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


class DatabaseCard(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Database"))
        self.status = QLabel()
        self.now = QLabel()
        self.average = QLabel()
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        for name, label in (
            ("db-status", self.status),
            ("db-now", self.now),
            ("db-average", self.average),
            ("db-detail", self.detail),
        ):
            label.setObjectName(name)
        form = QFormLayout(self)
        form.addRow(self.tr("Status:"), self.status)
        form.addRow(self.tr("Latency now:"), self.now)
        form.addRow(self.tr("Average (1 h):"), self.average)
        form.addRow(self.detail)
        self.show_figures(DatabaseFigures("unknown", None, None, None))

    def show_figures(self, figures: DatabaseFigures) -> None:
        words = {
            "pass": self.tr("answering"),
            "warn": self.tr("slow"),
            "fail": self.tr("not answering"),
            "unknown": self.tr("unknown (no answer from the ERP server)"),
        }
        colours = {"pass": "#2e9d4a", "warn": "#b88600", "fail": "#d93025"}
        self.status.setText(words.get(figures.status, figures.status))
        colour = colours.get(figures.status)
        self.status.setStyleSheet(f"color: {colour}; font-weight: bold;" if colour else "")
        self.now.setText(_ms(figures.now_ms))
        self.average.setText(_ms(figures.avg_ms))
        self.detail.setText(figures.output or "")
        self.detail.setVisible(bool(figures.output) and figures.status != "pass")


class SystemCard(QGroupBox):
    """CPU, memory and the disk holding ``data_dir``; refreshed while shown."""

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("This computer"))
        self.data_dir = data_dir
        self.cpu = QProgressBar()
        self.memory = QProgressBar()
        self.disk = QProgressBar()
        form = QFormLayout(self)
        for name, label, bar in (
            ("cpu", self.tr("CPU:"), self.cpu),
            ("memory", self.tr("Memory:"), self.memory),
            ("disk", self.tr("Disk (data folder):"), self.disk),
        ):
            bar.setObjectName(f"system-{name}")
            bar.setRange(0, 100)
            bar.setTextVisible(True)
            bar.setFormat("%p%")
            form.addRow(label, bar)
        self._timer = QTimer(self)
        self._timer.setInterval(SYSTEM_REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        psutil.cpu_percent(interval=None)  # the first call only starts the measurement
        self.refresh()

    def showEvent(self, event: object) -> None:
        self._timer.start()
        self.refresh()

    def hideEvent(self, event: object) -> None:
        self._timer.stop()

    def refresh(self) -> None:
        self.cpu.setValue(round(psutil.cpu_percent(interval=None)))
        self.memory.setValue(round(psutil.virtual_memory().percent))
        path = self.data_dir
        while not path.exists() and path != path.parent:
            path = path.parent
        try:
            self.disk.setValue(round(psutil.disk_usage(str(path)).percent))
        except OSError:
            self.disk.setValue(0)
            self.disk.setFormat(self.tr("unknown"))
