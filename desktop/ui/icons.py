"""The tray icon, drawn with QPainter at every size a tray or a window may ask for.

One shape (``resources/icons/vigia.svg`` is the same drawing): a disc in the state's
colour with a darker rim and a glyph: the Vigia "V" when all is well or nothing is
wrong (running, starting, stopped), "!" when something needs attention (yellow) and "×"
when the ERP is not working (red), so the state can be told without seeing colours.

Each size is drawn for itself (not scaled from a big picture), at 1x and 2x device
pixels, so the icon stays crisp on high-DPI screens.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPainterPath, QPen, QPixmap

from desktop.ui.status import Level

SIZES = (16, 20, 22, 24, 32, 40, 48, 64, 128, 256)
BRAND = "#1769aa"

COLOURS: dict[Level, str] = {
    Level.OK: "#2e9d4a",  # green
    Level.WARNING: "#f2b705",  # yellow
    Level.ERROR: "#d93025",  # red
    Level.OFF: "#80868b",  # grey
    Level.BUSY: "#1a73e8",  # blue
}
GLYPHS: dict[Level, str] = {
    Level.OK: "v",
    Level.WARNING: "!",
    Level.ERROR: "x",
    Level.OFF: "v",
    Level.BUSY: "v",
}


def _glyph_colour(fill: QColor) -> QColor:
    # Dark glyph on light fills (yellow), white elsewhere.
    luminance = 0.299 * fill.redF() + 0.587 * fill.greenF() + 0.114 * fill.blueF()
    return QColor("#3b2f00") if luminance > 0.6 else QColor("white")


def paint(painter: QPainter, size: float, fill: QColor, glyph: str) -> None:
    """Draw the icon in a ``size`` x ``size`` square at the painter's origin."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    unit = size / 64.0
    rim = max(1.0, 2.0 * unit)
    disc = QRectF(rim / 2 + unit, rim / 2 + unit, size - rim - 2 * unit, size - rim - 2 * unit)
    painter.setPen(QPen(fill.darker(150), rim))
    painter.setBrush(fill)
    painter.drawEllipse(disc)

    stroke = max(1.6, 8.0 * unit)
    pen = QPen(_glyph_colour(fill), stroke)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)

    def at(x: float, y: float) -> QPointF:
        return QPointF(x * unit, y * unit)

    if glyph == "v":
        path = QPainterPath(at(19, 23))
        path.lineTo(at(32, 44))
        path.lineTo(at(45, 23))
        painter.drawPath(path)
    elif glyph == "!":
        painter.drawLine(at(32, 16), at(32, 36))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_glyph_colour(fill))
        painter.drawEllipse(at(32, 47), stroke * 0.62, stroke * 0.62)
    elif glyph == "x":
        painter.drawLine(at(21, 21), at(43, 43))
        painter.drawLine(at(43, 21), at(21, 43))


def image(size: int, fill: str, glyph: str, device_ratio: float = 1.0) -> QImage:
    pixels = round(size * device_ratio)
    picture = QImage(pixels, pixels, QImage.Format.Format_ARGB32_Premultiplied)
    picture.fill(Qt.GlobalColor.transparent)
    painter = QPainter(picture)
    try:
        paint(painter, pixels, QColor(fill), glyph)
    finally:
        painter.end()
    picture.setDevicePixelRatio(device_ratio)
    return picture


def state_pixmap(level: Level, size: int, device_ratio: float = 1.0) -> QPixmap:
    return QPixmap.fromImage(image(size, COLOURS[level], GLYPHS[level], device_ratio))


def state_icon(level: Level) -> QIcon:
    """The tray icon for ``level``, drawn at every size in :data:`SIZES` (1x and 2x)."""
    icon = QIcon()
    for size in SIZES:
        for ratio in (1.0, 2.0):
            if size * ratio <= 512:
                icon.addPixmap(state_pixmap(level, size, ratio))
    return icon


def app_icon() -> QIcon:
    """The application's own icon (windows, taskbar): the "V" on the brand colour."""
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(QPixmap.fromImage(image(size, BRAND, "v")))
    return icon
