"""What goes into the frozen Vigia and what stays out: read by ``build/vigia.spec``.

Kept apart from the spec so the rules are plain Python that tests can check without
freezing (``tests/frozen/test_layout.py``), and so one place says why each is there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path, PurePath

# -- Python modules -----------------------------------------------------------------------

# Imported by name at run time, which PyInstaller's import analysis cannot see.
HIDDEN_IMPORTS = [
    # uvicorn picks these by string from its config ("auto" loop/http, lifespan "on").
    # The uvicorn hook collects every submodule already; named here so a hook change
    # cannot drop the ones Vigia runs on.
    "uvicorn.loops.auto",
    "uvicorn.loops.asyncio",
    "uvicorn.loops.uvloop",
    "uvicorn.protocols.http.auto",
    "uvicorn.protocols.http.h11_impl",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.protocols.websockets.auto",
    "uvicorn.lifespan.on",
    "uvicorn.lifespan.off",
    # Alembic: env.py and the versions are run from files (see migration_datas), so
    # what they import must be in the archive.
    "alembic.context",
    "alembic.op",
    "alembic.runtime.environment",
    "alembic.runtime.migration",
    "alembic.ddl.sqlite",
    "alembic.ddl.postgresql",
    "alembic.ddl.mysql",
    # SQLAlchemy dialects and DB drivers chosen from the database URL.
    "sqlalchemy.dialects.sqlite.pysqlite",
    "sqlalchemy.dialects.postgresql.psycopg",
    "sqlalchemy.dialects.mysql.pymysql",
    "psycopg",
    "psycopg_binary",
    "pymysql",
    # Password hashing (cffi bindings).
    "argon2",
    "_argon2_cffi_bindings",
    "_cffi_backend",
    # keyring finds its backends through entry points (its hook collects them and the
    # metadata); the ones each system uses, named.
    "keyring.backends.fail",
    "keyring.backends.null",
    "keyring.backends.chainer",
    "keyring.backends.SecretService",
    "keyring.backends.Windows",
    # embedded_backend.preflight imports these by name to check they are there.
    "python_multipart",
    "asgi_correlation_id",
    "jwt",
    "tenacity",
    "psutil",
    "httpx",
    "platformdirs",
    "pydantic_settings",
]

# Distributions whose metadata the app reads (importlib.metadata: versions shown in
# `vigia --version`, /api/v1/monitoring/system/info, diagnostics; entry points).
METADATA = [
    "vigia",
    "fastapi",
    "starlette",
    "uvicorn",
    "pydantic",
    "sqlalchemy",
    "alembic",
    "prometheus-client",
    "psutil",
    "psycopg",
    "pymysql",
    "keyring",
]

# Python packages that must never be in the bundle: test and dev tools, other Qt
# bindings, GUI toolkits and science stacks pyqtgraph can use but Vigia does not, and
# the Qt modules the app does not use. The app uses QtCore, QtGui, QtWidgets and
# QtNetwork (QLocalServer: the single-instance channel), and pyqtgraph imports QtOpenGL
# and QtOpenGLWidgets unconditionally (pyqtgraph/Qt/OpenGLHelpers.py, loaded by every
# plot); everything else of Qt is out (pyqtgraph's QtSvg and QtTest imports are optional).
EXCLUDED_QT_MODULES = [
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuick3D",
    "PySide6.QtQuickControls2",
    "PySide6.QtQuickTest",
    "PySide6.QtQuickWidgets",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineQuick",
    "PySide6.QtWebEngineWidgets",
    "PySide6.QtWebChannel",
    "PySide6.QtWebSockets",
    "PySide6.QtWebView",
    "PySide6.QtPdf",
    "PySide6.QtPdfWidgets",
    "PySide6.QtSvg",
    "PySide6.QtSvgWidgets",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtDBus",
    "PySide6.QtXml",
    "PySide6.QtConcurrent",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtUiTools",
    "PySide6.QtPrintSupport",
    "PySide6.QtMultimedia",
    "PySide6.QtMultimediaWidgets",
    "PySide6.QtCharts",
    "PySide6.QtDataVisualization",
    "PySide6.QtGraphs",
    "PySide6.QtStateMachine",
    "PySide6.QtAxContainer",
]
EXCLUDED_MODULES = [
    *EXCLUDED_QT_MODULES,
    "PyQt5",
    "PyQt6",
    "PySide2",
    "tkinter",
    "_tkinter",
    "matplotlib",
    "scipy",
    "h5py",
    "cupy",
    "numba",
    "OpenGL",
    "IPython",
    "jupyter_rfb",
    "pyqtgraph.examples",
    "pyqtgraph.opengl",
    "pyqtgraph.jupyter",
    "pyqtgraph.flowchart",
    "pyqtgraph.canvas",
    "pyqtgraph.console",
    "pytest",
    "_pytest",
    "pytestqt",
    "hypothesis",
    "schemathesis",
    "mypy",
    "ruff",
    "pip",
    "PyInstaller",
    # Optional imports of libraries Vigia uses that pull in large packages it never
    # runs: YAML config files (uvicorn, pydantic-settings), Mako's Pygments plugin,
    # redis' OCSP stapling (requests, urllib3), httpx's command line (rich).
    "yaml",
    "pygments",
    "mako.ext.pygmentplugin",
    "requests",
    "urllib3",
    "charset_normalizer",
    "rich",
    "markdown_it",
    "httpx._main",
    # email-validator's deliverability check (DNS); pydantic's EmailStr never runs it.
    "dns",
    # SQLAlchemy dialects for databases Vigia does not support; numpy's Fortran tooling;
    # the text of help() topics.
    "sqlalchemy.dialects.mssql",
    "sqlalchemy.dialects.oracle",
    "numpy.f2py",
    "pydoc_data",
]

# -- Qt files ----------------------------------------------------------------------------

# Qt shared libraries of the excluded modules (PySide6 hooks may still collect them as
# dependencies of plugins): libQt6Qml.so.6 / Qt6Qml.dll and so on.
_QT_LIBRARY = re.compile(r"(?:lib)?Qt6(\w+?)(?:\.so\.6|\.dll)$")
_UNUSED_QT_LIBRARIES = {
    name.removeprefix("PySide6.Qt") for name in EXCLUDED_QT_MODULES if name != "PySide6.QtDBus"
} | {
    "QmlModels",
    "QmlMeta",
    "QmlWorkerScript",
    "QmlCore",
    "QuickTemplates2",
    "VirtualKeyboard",
    "VirtualKeyboardQml",
    "Positioning",
    "EglFSDeviceIntegration",
    "EglFsKmsSupport",
}
# libQt6DBus stays: on Linux QtGui itself links it (tray icons over StatusNotifierItem,
# the platform theme), whatever Python module imports it.

# Plugins by folder: kept only what a tray app on X11/Wayland/Windows needs.
_UNUSED_PLUGIN_DIRS = {
    "qmltooling",
    "sqldrivers",
    "designer",
    "printsupport",
    "multimedia",
    "webview",
    "position",
    "virtualkeyboard",
    "egldeviceintegrations",  # embedded EGL full-screen devices
    "generic",  # evdev/tslib input for kiosk devices
    "networkinformation",  # QNetworkInformation: not used
    "tls",  # QSslSocket backends: Vigia's Qt side never speaks TLS (httpx does)
    "vectorimageformats",
    "wayland-graphics-integration-server",  # compositors only
}
# Platforms a desktop session uses (xcb, wayland, windows) plus offscreen and minimal
# (tests, headless diagnostics); embedded-device platforms are dropped.
_UNUSED_PLATFORMS = re.compile(r"(?:lib)?q(?:eglfs|linuxfb|minimalegl|vnc|vkkhrdisplay)\.")
# Platform themes: the GTK 3 theme links the system's GTK (not bundled; mixing it with the
# bundled GLib is a known crash source), so it goes; the XDG portal theme stays.
_UNUSED_PLATFORM_THEMES = re.compile(r"(?:lib)?qgtk3\.")
# Image formats: the app draws its icons and reads PNG (built into QtGui); .ico is kept
# for Windows icons, the rest go (PDF, TIFF, WebP, SVG...).
_UNUSED_IMAGE_FORMATS = re.compile(r"(?:lib)?q(?:pdf|tiff|webp|tga|wbmp|icns|svg|gif)\.")
_UNUSED_ICON_ENGINES = re.compile(r"(?:lib)?qsvgicon\.")
# Qt's own translations: Vigia ships English (Qt's source language) and Brazilian
# Portuguese, so of Qt's ~200 .qm files only qt(base)_pt_BR stay.
KEPT_QT_TRANSLATIONS = {"qt_pt_BR.qm", "qtbase_pt_BR.qm"}


def _parts(dest: str) -> tuple[str, ...]:
    return PurePath(dest.replace("\\", "/")).parts


def _is_qt_file(parts: tuple[str, ...]) -> bool:
    return len(parts) > 1 and parts[0] == "PySide6"


def keep_binary(dest: str) -> bool:
    """Whether a collected binary (its path inside the bundle) stays."""
    parts = _parts(dest)
    name = parts[-1]
    if name.lower() == "opengl32sw.dll":
        # Windows: Mesa's software OpenGL (~20 MB), Qt's fallback when a program asks for
        # OpenGL on a machine without a driver. Vigia's widgets and pyqtgraph's plots draw
        # with the raster engine and never ask for it.
        return False
    if not _is_qt_file(parts) and not name.startswith(("libQt6", "Qt6")):
        return True
    match = _QT_LIBRARY.match(name)
    if match and match.group(1) in _UNUSED_QT_LIBRARIES:
        return False
    if "plugins" in parts[:-2]:
        folder = parts[parts.index("plugins") + 1]
        if folder in _UNUSED_PLUGIN_DIRS:
            return False
        if folder == "platforms" and _UNUSED_PLATFORMS.match(name):
            return False
        if folder == "platformthemes" and _UNUSED_PLATFORM_THEMES.match(name):
            return False
        if folder == "imageformats" and _UNUSED_IMAGE_FORMATS.match(name):
            return False
        if folder == "iconengines" and _UNUSED_ICON_ENGINES.match(name):
            return False
        if folder == "platforminputcontexts" and "virtualkeyboard" in name:
            return False
    return True


def keep_entry(entry: tuple[str, str, str]) -> bool:
    """Whether a collected TOC entry (destination, source, typecode) stays: binaries by
    :func:`keep_binary`, data files by :func:`keep_data`, symbolic links (PyInstaller
    links ``libQt6Gui.so.6`` to ``PySide6/Qt/lib/``) by what they point to."""
    dest, src, typecode = entry
    if typecode == "SYMLINK":
        return keep_binary(dest) and keep_binary(src)
    if typecode in ("BINARY", "EXTENSION"):
        return keep_binary(dest)
    return keep_data(dest)


def prune_unreferenced_libraries(
    binaries: list[tuple[str, str, str]],
    imports: Callable[[str], Iterable[tuple[str, str | None]]],
) -> list[tuple[str, str, str]]:
    """Drop the shared libraries at the top of the bundle that nothing kept links to.

    PyInstaller collects the system libraries of every plugin before the filters above
    run, so a dropped plugin (the GTK 3 theme) leaves its whole dependency tree behind
    (GDK, Pango, Cairo, ATK: 8 MB on Linux). Roots are everything that is not a
    top-level library (Python extensions, Qt libraries and plugins, libpython);
    ``imports(path)`` gives a binary's link-time dependencies as (name, resolved path).
    """

    def real(path: str | None) -> str | None:
        return str(Path(path).resolve()) if path else None

    def prunable(entry: tuple[str, str, str]) -> bool:
        dest, _src, typecode = entry
        name = PurePath(dest).name
        return (
            typecode == "BINARY"
            and len(_parts(dest)) == 1
            and not name.startswith("libpython")
            and ".cpython-" not in name
            and ".abi3." not in name
        )

    by_path = {real(src): entry for entry in binaries if (src := entry[1])}
    reached: set[str] = set()
    pending = [real(e[1]) for e in binaries if not prunable(e) and e[2] != "SYMLINK"]
    while pending:
        path = pending.pop()
        if path is None or path in reached:
            continue
        reached.add(path)
        for _name, found in imports(path):
            resolved = real(found)
            if resolved in by_path and resolved not in reached:
                pending.append(resolved)
    return [e for e in binaries if not prunable(e) or real(e[1]) in reached]


def keep_data(dest: str) -> bool:
    """Whether a collected data file (its path inside the bundle) stays."""
    parts = _parts(dest)
    if _is_qt_file(parts) and "translations" in parts and parts[-1].endswith(".qm"):
        return parts[-1] in KEPT_QT_TRANSLATIONS
    # QML modules and type metadata serve only the excluded QtQml/QtQuick.
    return not (_is_qt_file(parts) and ("qml" in parts or "metatypes" in parts))


def strip_debug_info(onedir: Path) -> list[Path]:
    """Remove the debug sections (``strip --strip-debug``, nothing else) from the ELF
    libraries of a Linux onedir that carry them; the stripped files.

    libpython alone carries ~17 MB of them, uvloop ~10 MB. PyInstaller's own ``strip=True``
    strips every symbol of every library, which breaks numpy's OpenBLAS ("ELF load
    command address/offset not page-aligned"); files without ``.debug_info`` are left
    alone here, and so are the executables (their Python archive is appended to them).
    Needs binutils; without ``strip``/``readelf`` nothing is done.
    """
    strip, readelf = shutil.which("strip"), shutil.which("readelf")
    if strip is None or readelf is None:
        return []
    stripped = []
    for path in sorted(onedir.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.parent == onedir:
            continue
        with path.open("rb") as handle:
            if handle.read(4) != b"\x7fELF":
                continue
        sections = subprocess.run(
            [readelf, "-S", "-W", str(path)], capture_output=True, text=True, check=False
        ).stdout
        if ".debug_info" in sections:
            subprocess.run([strip, "--strip-debug", str(path)], check=True)
            stripped.append(path)
    return stripped


# -- Vigia's own files -------------------------------------------------------------------

RESOURCE_SUFFIXES = {".svg", ".ico", ".png", ".qm", ".yml", ".yaml", ".json"}


def resource_datas(root: Path) -> list[tuple[str, str]]:
    """``resources/`` minus sources: icons, compiled translations (.qm, not .ts), the
    Prometheus rules and the Grafana dashboard. (source file, folder in the bundle)."""
    resources = root / "resources"
    found = []
    for path in sorted(resources.rglob("*")):
        if path.is_file() and path.suffix in RESOURCE_SUFFIXES:
            found.append((str(path), str(path.parent.relative_to(root))))
    return found


def migration_datas(root: Path) -> list[tuple[str, str]]:
    """The Alembic scripts as files: Alembic reads env.py and versions/*.py from its
    ``script_location`` (``embedded_backend/migrations`` inside the bundle, which is
    where ``embedded_backend.db.migrate`` looks: next to its own module)."""
    migrations = root / "embedded_backend" / "migrations"
    found = []
    for path in sorted(migrations.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        if path.suffix == ".py" or path.name == "script.py.mako":
            found.append((str(path), str(path.parent.relative_to(root))))
    return found
