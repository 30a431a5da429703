"""The tray icon: every size, crisp 2x versions, the right colour and a glyph per level."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from desktop.ui.icons import COLOURS, SIZES, app_icon, image, state_icon, state_pixmap
from desktop.ui.status import Level


@pytest.mark.parametrize("level", list(Level))
def test_each_level_is_drawn_at_every_size_in_its_colour(qtbot: QtBot, level: Level) -> None:
    icon = state_icon(level)
    sizes = {(s.width(), s.height()) for s in icon.availableSizes()}
    assert {(s, s) for s in SIZES} <= sizes
    for size in (16, 22, 32, 256):
        picture = state_pixmap(level, size).toImage()
        assert picture.size() == QSize(size, size)
        # A point inside the disc, off the glyph: the state's colour.
        colour = picture.pixelColor(size // 2, round(size * 0.86))
        expected = QColor(COLOURS[level])
        assert abs(colour.red() - expected.red()) < 40, (level, size, colour.name())
        assert abs(colour.green() - expected.green()) < 40, (level, size, colour.name())
        assert picture.pixelColor(0, 0).alpha() == 0  # round, transparent corners


def test_high_dpi_pixmaps_have_twice_the_pixels(qtbot: QtBot) -> None:
    pixmap = state_pixmap(Level.OK, 22, 2.0)
    assert pixmap.width() == 44 and pixmap.devicePixelRatio() == 2.0
    icon = state_icon(Level.OK)
    assert icon.pixmap(QSize(22, 22), 2.0).width() == 44


def test_levels_differ_by_glyph_not_only_by_colour(qtbot: QtBot) -> None:
    # Same fill, different glyphs: the pictures differ (colour-blind users see it).
    v = image(32, "#808080", "v")
    bang = image(32, "#808080", "!")
    cross = image(32, "#808080", "x")
    assert v != bang and bang != cross and v != cross


def test_app_icon(qtbot: QtBot) -> None:
    assert not app_icon().isNull()


def test_the_windows_icon_has_every_size_and_matches_the_svg(qtbot: QtBot) -> None:
    from PySide6.QtGui import QImage, QImageReader, QPainter
    from PySide6.QtSvg import QSvgRenderer

    from desktop.ui.resources import icons_dir

    renderer = QSvgRenderer(str(icons_dir() / "vigia.svg"))
    reader = QImageReader(str(icons_dir() / "vigia.ico"))
    sizes = []
    for index in range(reader.imageCount()):
        reader.jumpToImage(index)
        stored = reader.read().convertToFormat(QImage.Format.Format_ARGB32)
        size = stored.width()
        sizes.append(size)
        fresh = QImage(size, size, QImage.Format.Format_ARGB32)
        fresh.fill(0)
        painter = QPainter(fresh)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        # Rendered from today's SVG (scripts/make_icons.py was run after the last change).
        far = sum(
            1
            for y in range(size)
            for x in range(size)
            if max(
                abs(a - b)
                for a, b in zip(
                    stored.pixelColor(x, y).getRgb(), fresh.pixelColor(x, y).getRgb(), strict=True
                )
            )
            > 24
        )
        assert far <= size * size // 100, (size, far)
    assert sizes == [16, 20, 24, 32, 40, 48, 64, 128, 256]
