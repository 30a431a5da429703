"""The dashboard's response-time graph with 86,400 points per line (offscreen Qt).

The real :class:`~desktop.ui.dashboard.window.DashboardWindow` (960 × 680, its default
size) is built on a real, unstarted Monitor and shown on the "24 h" span. Each
repetition draws new data, one point a second for 24 hours, on both lines (response time
and database time; a gap of three missed polls now and then) the way the graph's
``refresh`` does (``LatencyGraph._draw``: at most two points per pixel column kept by
``series.decimate``, then ``setData(x, y, connect="finite")`` on a logarithmic y axis,
antialiased), then forces a full repaint of the graph with
``QWidget.grab()`` (renders the widget and its children into a pixmap, the view's
auto-range included). Timed: ``setData`` alone, the repaint alone, and the two together.

The product's own 24 h view draws per-minute means from the history (at most 1,440
points per line); 86,400 points is the size the issue sets as the worst case. Cases:
the issue's 86,400 points and the product's 1,440, both drawn as the product draws them
(the graph decimates to at most two points per pixel column and draws a decimated line
with 1 px pens: 2 px antialiased pens on such a dense line cost Qt about 0.7 s). The
cases alternate round after round.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from desktop.ui.bridge import CoreBridge
from desktop.ui.context import UiContext
from desktop.ui.dashboard.graph import LATENCY_COLOUR, MIN_BUCKETS, LatencyGraph
from desktop.ui.dashboard.series import Series, Span, decimate

POINTS = 86_400


@dataclass(frozen=True)
class GraphRun:
    set_data_ms: float
    repaint_ms: float

    @property
    def total_ms(self) -> float:
        return self.set_data_ms + self.repaint_ms


def series(seed: int, now: float, points: int = POINTS) -> tuple[Series, Series]:
    rng = random.Random(seed)
    x = [now - points + i for i in range(points)]
    latency: list[float] = []
    database: list[float] = []
    gap = 0
    for _ in range(points):
        if gap == 0 and rng.random() < 0.001:
            gap = 3  # three missed polls: a gap in both lines
        if gap:
            gap -= 1
            latency.append(math.nan)
            database.append(math.nan)
            continue
        latency.append(rng.lognormvariate(math.log(4.0), 0.5))
        database.append(rng.lognormvariate(math.log(1.0), 0.6))
    return Series(x, latency), Series(list(x), database)


def _latency_pixels(image_width: int, image_height: int, pixel: object) -> int:
    target = QColor(LATENCY_COLOUR)
    count = 0
    for x in range(0, image_width, 2):
        for y in range(0, image_height, 2):
            c = QColor(pixel(x, y))  # type: ignore[operator]
            if (
                abs(c.red() - target.red()) < 40
                and abs(c.green() - target.green()) < 40
                and abs(c.blue() - target.blue()) < 40
            ):
                count += 1
    return count


@dataclass(frozen=True)
class GraphCase:
    points: int
    pen_width: float | None = None  # None: the product's pens; else a diagnosis
    label: str = ""


def bench_graph(
    app: QApplication, ctx: UiContext, cases: list[GraphCase], repetitions: int
) -> dict[GraphCase, list[GraphRun]]:
    """Repetitions of each case (after one warm-up draw that is not counted), alternating
    the cases round after round."""
    from desktop.ui.dashboard.window import DashboardWindow  # loads pyqtgraph

    window = DashboardWindow(ctx, CoreBridge())
    window.show()
    window.tabs.setCurrentWidget(window.graph)
    graph = window.graph
    graph.set_span(Span.DAY)
    app.processEvents()
    pens = {item: item.opts["pen"] for item in (graph._latency, graph._database)}
    runs: dict[GraphCase, list[GraphRun]] = {case: [] for case in cases}
    try:
        for rep in range(repetitions + 1):
            for case in cases:
                for item, pen in pens.items():
                    width = pen.widthF() if case.pen_width is None else case.pen_width
                    item.setPen(pg.mkPen(pen.color(), width=width))
                run = _draw_once(app, graph, case.points, seed=rep, check=rep == 0)
                if rep > 0:  # the first round warms up
                    runs[case].append(run)
    finally:
        for item, pen in pens.items():
            item.setPen(pen)
        window.hide()
        window.deleteLater()
        app.processEvents()
    return runs


def _draw_once(
    app: QApplication, graph: LatencyGraph, points: int, seed: int, check: bool
) -> GraphRun:
    latency, database = series(seed, graph.now(), points)
    app.processEvents()
    started = time.perf_counter()
    graph._draw(graph._latency, latency)
    graph._draw(graph._database, database)
    drawn = time.perf_counter()
    pixmap = graph.grab()
    painted = time.perf_counter()
    # The graph draws at most two points per pixel column (series.decimate): 86,400
    # samples arrive, about 2,000 are drawn; the timing includes the decimation.
    buckets = max(MIN_BUCKETS, graph._plot.width())
    expected = (len(decimate(latency, buckets)), len(decimate(database, buckets)))
    if graph.points != expected:
        raise RuntimeError(f"the graph holds {graph.points} points, not {expected}")
    if check:
        image = pixmap.toImage()
        if _latency_pixels(image.width(), image.height(), image.pixel) < 50:
            raise RuntimeError("the rendered graph shows no response-time line")
    return GraphRun((drawn - started) * 1000, (painted - drawn) * 1000)
