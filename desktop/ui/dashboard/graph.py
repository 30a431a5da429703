"""The response-time graph (pyqtgraph): 15 min / 1 h / 24 h / 7 days, threshold drawn.

This module imports pyqtgraph (about 50 MB once loaded); only the dashboard imports it,
and the dashboard is imported when it first opens.

The y axis is logarithmic so a 2 ms database and the 1000 ms alert limit fit on one
graph; the limit is a dashed red line.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.core.samples import Sample
from desktop.ui.context import UiContext
from desktop.ui.dashboard.series import Series, Span, decimate, from_history, from_samples

HISTORY_REFRESH_MS = 30_000
LATENCY_COLOUR = "#1a73e8"
DATABASE_COLOUR = "#2e9d4a"
LIMIT_COLOUR = "#d93025"
MIN_BUCKETS = 400  # points pairs drawn per line at least, whatever the widget width


class LatencyGraph(QWidget):
    span_changed = Signal(object)  # Span

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.span = Span.MIN15
        self.now: Callable[[], float] = time.time  # wall clock (tests give the core's)
        pg.setConfigOptions(antialias=True)
        self._buttons = QButtonGroup(self)
        self._plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self._latency = self._plot.plot([], [], pen=pg.mkPen(LATENCY_COLOUR, width=2))
        self._database = self._plot.plot([], [], pen=pg.mkPen(DATABASE_COLOUR, width=2))
        # A decimated line is a dense zigzag: drawn 2 px wide and antialiased it costs Qt
        # about 0.7 s; 1 px wide, milliseconds (tests/perf/bench_tray.py).
        self._pens = {
            self._latency: (pg.mkPen(LATENCY_COLOUR, width=2), pg.mkPen(LATENCY_COLOUR, width=1)),
            self._database: (
                pg.mkPen(DATABASE_COLOUR, width=2),
                pg.mkPen(DATABASE_COLOUR, width=1),
            ),
        }
        self._limit = pg.InfiniteLine(
            angle=0,
            movable=False,
            pen=pg.mkPen(LIMIT_COLOUR, width=1, style=Qt.PenStyle.DashLine),
            label="",
            labelOpts={"position": 0.08, "color": LIMIT_COLOUR, "anchors": [(0, 1), (0, 1)]},
        )
        self._empty = QLabel(self)
        self._timer = QTimer(self)
        self._timer.setInterval(HISTORY_REFRESH_MS)
        self._build()
        self._connect_signals()
        self.refresh()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("Response time (ms, logarithmic scale)")))
        bar.addStretch(1)
        labels = {
            Span.MIN15: self.tr("15 min"),
            Span.HOUR: self.tr("1 h"),
            Span.DAY: self.tr("24 h"),
            Span.WEEK: self.tr("7 days"),
        }
        for index, (span, text) in enumerate(labels.items()):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setObjectName(f"span-{span.name.lower()}")
            button.setChecked(span is self.span)
            self._buttons.addButton(button, index)
            bar.addWidget(button)
        layout.addLayout(bar)

        base = self.palette().color(QPalette.ColorRole.Base)
        self._plot.setBackground(base)
        item = self._plot.getPlotItem()
        item.setLogMode(x=False, y=True)
        item.showGrid(x=True, y=True, alpha=0.25)
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.setMenuEnabled(False)
        legend = item.addLegend(offset=(-10, 10))
        legend.setLabelTextColor(self.palette().color(QPalette.ColorRole.Text))
        legend.addItem(self._latency, self.tr("Response time"))
        legend.addItem(self._database, self.tr("Database"))
        for series in (self._latency, self._database):
            series.setData([], [], connect="finite")
        item.addItem(self._limit, ignoreBounds=False)
        layout.addWidget(self._plot, 1)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setStyleSheet("color: palette(mid);")
        layout.addWidget(self._empty)

    def _connect_signals(self) -> None:
        self._buttons.idClicked.connect(self.on_span_clicked)
        self._timer.timeout.connect(self.refresh)

    @property
    def points(self) -> tuple[int, int]:
        """How many points each line draws now (response time, database)."""
        x1, _ = self._latency.getData()
        x2, _ = self._database.getData()
        return (0 if x1 is None else len(x1), 0 if x2 is None else len(x2))

    def set_span(self, span: Span) -> None:
        self.span = span
        button = self._buttons.button(list(Span).index(span))
        button.setChecked(True)
        if span.resolution is None:
            self._timer.stop()
        else:
            self._timer.start()
        self.refresh()
        self.span_changed.emit(span)

    @Slot(int)
    def on_span_clicked(self, index: int) -> None:
        self.set_span(list(Span)[index])

    def on_sample_taken(self, sample: Sample) -> None:
        if self.span.resolution is None and self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        now = self.now()
        history = self.ctx.monitor.history
        if self.span.resolution is None or history is None:
            latency, database = from_samples(self.ctx.monitor.poller.recent(self.span.seconds))
        else:
            latency, database = from_history(history, self.span, now)
        self._draw(self._latency, latency)
        self._draw(self._database, database)
        limit = self.ctx.monitor.alerts.config.latency_threshold_ms
        self._limit.setPos(math.log10(limit))
        self._limit.label.setFormat(self.tr("alert limit {ms:.0f} ms").format(ms=limit))
        item = self._plot.getPlotItem()
        item.setXRange(now - self.span.seconds, now, padding=0.01)
        has_data = len(latency) > 0 or len(database) > 0
        self._empty.setVisible(not has_data)
        self._empty.setText("" if has_data else self.tr("No measurements in this period yet."))

    def _draw(self, item: pg.PlotDataItem, series: Series) -> None:
        # Never more points than the plot has pixels to show them (series.decimate).
        shown = decimate(series, max(MIN_BUCKETS, self._plot.width()))
        wide, thin = self._pens[item]
        item.setPen(thin if shown is not series else wide)
        item.setData(shown.x, shown.y, connect="finite")
