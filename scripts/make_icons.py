"""Render resources/icons/vigia.svg into a multi-size Windows icon, vigia.ico.

    .venv/bin/python scripts/make_icons.py [--check]

Each size is rendered from the SVG for itself (16, 20, 24, 32, 40, 48, 64, 128 and 256
pixels). Sizes below 256 are stored as 32-bit BMP (every Windows version and NSIS read
them), 256 as PNG (the Vista+ way for the big one). ``--check`` exits 1 if vigia.ico is
missing or older than the SVG (for CI), without writing.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def bmp_bytes(image: QImage) -> bytes:
    """A DIB as an .ico stores it: BITMAPINFOHEADER (height doubled), BGRA rows bottom
    up, then the 1-bit AND mask (all zero: the alpha channel decides)."""
    size = image.width()
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    rows = []
    for y in range(size - 1, -1, -1):
        row = bytearray()
        for x in range(size):
            pixel = image.pixel(x, y)  # 0xAARRGGBB, not premultiplied
            row += struct.pack("<I", pixel)  # little endian: B, G, R, A
        rows.append(bytes(row))
    mask_row = ((size + 31) // 32) * 4
    return header + b"".join(rows) + b"\0" * (mask_row * size)


def ico_bytes(images: list[QImage]) -> bytes:
    entries, blobs = [], []
    offset = 6 + 16 * len(images)
    for image in images:
        size = image.width()
        blob = png_bytes(image) if size >= 256 else bmp_bytes(image)
        dim = 0 if size >= 256 else size
        entries.append(struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset))
        blobs.append(blob)
        offset += len(blob)
    return struct.pack("<HHH", 0, 1, len(images)) + b"".join(entries) + b"".join(blobs)


def main(argv: list[str]) -> int:
    svg, ico = ICONS / "vigia.svg", ICONS / "vigia.ico"
    if "--check" in argv:
        fresh = ico.exists() and ico.stat().st_mtime >= svg.stat().st_mtime
        print(f"{ico}: {'up to date' if fresh else 'missing or older than the SVG'}")
        return 0 if fresh else 1
    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        print(f"cannot read {svg}", file=sys.stderr)
        return 1
    ico.write_bytes(ico_bytes([render(renderer, size) for size in SIZES]))
    print(f"wrote {ico} ({', '.join(map(str, SIZES))} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
