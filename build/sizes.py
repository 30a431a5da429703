"""Where the frozen bundle's bytes go: a per-component breakdown of a onedir build.

    .venv/bin/python build/sizes.py .work/dist/vigia

Files are counted once (symbolic links are not followed: PyInstaller links
``libQt6Gui.so.6`` at the top to ``PySide6/Qt/lib/``), by the first component whose rule
matches their path inside the bundle.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

EXECUTABLES = "executables (bootloader + every Python module, compiled)"
# (component, pattern searched in the path inside _internal/, "/" separated); first wins.
COMPONENTS: list[tuple[str, re.Pattern[str]]] = [
    ("Qt: ICU data and libraries (Unicode; Linux only)", re.compile(r"^PySide6/Qt/lib/libicu")),
    (
        "Qt: Core, Gui, Widgets, Network, DBus, OpenGL, platform libs",
        re.compile(r"^PySide6/(Qt/lib/)?(lib)?Qt6"),
    ),
    (
        "Qt: plugins (platforms, image formats, Wayland, styles)",
        re.compile(r"^PySide6/(Qt/)?plugins/"),
    ),
    (
        "Qt: Python bindings, translations (PySide6, shiboken6)",
        re.compile(r"^(PySide6|shiboken6)/"),
    ),
    ("numpy + OpenBLAS (pyqtgraph's arrays)", re.compile(r"^numpy(\.libs)?/")),
    ("pyqtgraph data files", re.compile(r"^pyqtgraph/")),
    (
        "Python runtime (libpython, stdlib extensions)",
        re.compile(r"^(libpython|python3[\d.]*\.dll|base_library\.zip|python3\.\d+/)|^[^/]+\.pyd$"),
    ),
    ("cryptography (keyring Secret Service, JWT)", re.compile(r"^cryptography")),
    ("PostgreSQL driver (psycopg binary, libpq)", re.compile(r"^psycopg")),
    ("pydantic-core", re.compile(r"^pydantic_core/")),
    ("uvloop + httptools (fast HTTP server)", re.compile(r"^(uvloop|httptools)/")),
    ("other Python extensions (SQLAlchemy, psutil, argon2...)", re.compile(r"\.(so|pyd)$")),
    (
        "system libraries (OpenSSL, X11/xcb, GLib, libstdc++...)",
        re.compile(r"^[^/]+(\.so(\.[\d.]+)?|\.dll)$"),
    ),
    ("Vigia resources + migrations", re.compile(r"^(resources|embedded_backend)/")),
    ("package metadata (.dist-info)", re.compile(r"\.dist-info/")),
]
OTHER = "other data files"


@dataclass
class Breakdown:
    total: int = 0
    by_component: dict[str, int] = field(default_factory=dict)
    files: int = 0

    def rows(self) -> list[tuple[str, int]]:
        return sorted(self.by_component.items(), key=lambda kv: kv[1], reverse=True)

    def markdown(self) -> str:
        lines = ["| component | MB | share |", "|---|---:|---:|"]
        for name, size in self.rows():
            lines.append(f"| {name} | {size / 1e6:.1f} | {100 * size / self.total:.0f}% |")
        lines.append(f"| **total** ({self.files} files) | **{self.total / 1e6:.1f}** | 100% |")
        return "\n".join(lines)


def classify(relative: str) -> str:
    """The component of a file, from its path relative to the onedir root."""
    if "/" not in relative:
        return EXECUTABLES  # Linux `vigia`, Windows `Vigia.exe` and `vigia-cli.exe`
    inner = relative.removeprefix("_internal/")
    for name, pattern in COMPONENTS:
        if pattern.search(inner):
            return name
    return OTHER


def breakdown(onedir: Path) -> Breakdown:
    result = Breakdown()
    for path in sorted(onedir.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        size = path.stat().st_size
        name = classify(path.relative_to(onedir).as_posix())
        result.by_component[name] = result.by_component.get(name, 0) + size
        result.total += size
        result.files += 1
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    print(breakdown(Path(argv[0])).markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
