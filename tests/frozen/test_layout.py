"""What goes into the frozen build, checked without freezing: build/frozen_layout.py's
rules, the sources they must agree with, the version resource, the entry script."""

from __future__ import annotations

import ast
import io
import re
import sys
from pathlib import Path

import pytest

from desktop.core import autostart
from tests.e2e.process import REPO
from tests.frozen.conftest import BUILD, build_module

layout = build_module("frozen_layout")
sizes = build_module("sizes")
version_info = build_module("version_info")
entry = build_module("vigia_entry")
SMOKE = build_module("smoke")

SOURCES = [p for top in ("embedded_backend", "desktop") for p in (REPO / top).rglob("*.py")]


def imported_modules(paths: list[Path]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def nsis_defines() -> dict[str, str]:
    text = (BUILD / "installer.nsi").read_text(encoding="utf-8")
    return dict(re.findall(r'^!define (\w+) "([^"]*)"', text, flags=re.MULTILINE))


# -- modules ------------------------------------------------------------------------------


def test_every_qt_module_vigia_imports_is_in_the_bundle() -> None:
    used = {m for m in imported_modules(SOURCES) if re.fullmatch(r"PySide6\.Qt\w+", m)}
    assert {"PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtNetwork"} <= used
    assert used.isdisjoint(layout.EXCLUDED_MODULES), used & set(layout.EXCLUDED_MODULES)


def test_no_excluded_package_is_imported_by_vigia() -> None:
    used = imported_modules(SOURCES)
    tops = {name.split(".")[0] for name in used}
    excluded_tops = {m for m in layout.EXCLUDED_MODULES if "." not in m}
    assert tops.isdisjoint(excluded_tops), tops & excluded_tops


def test_modules_preflight_imports_by_name_are_hidden_imports() -> None:
    from embedded_backend.preflight import REQUIRED_PACKAGES

    statically_found = {"fastapi", "starlette", "uvicorn", "pydantic", "sqlalchemy", "alembic"}
    statically_found |= {"keyring", "argon2"}
    missing = set(REQUIRED_PACKAGES) - set(layout.HIDDEN_IMPORTS) - statically_found
    assert not missing


def test_uvicorn_never_runs_with_reload_or_workers() -> None:
    """Both re-execute sys.executable with Python arguments: a frozen app cannot."""
    offending = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                names = {kw.arg for kw in node.keywords}
                if names & {"reload", "workers", "reload_dirs"}:
                    offending.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not offending


# -- Qt files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("PySide6/Qt/lib/libQt6Core.so.6", True),
        ("PySide6/Qt/lib/libQt6Network.so.6", True),
        ("PySide6/Qt/lib/libQt6DBus.so.6", True),
        ("PySide6/Qt/lib/libQt6Qml.so.6", False),
        ("PySide6/Qt/lib/libQt6Quick.so.6", False),
        ("PySide6/Qt/lib/libQt6Svg.so.6", False),
        ("PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6", False),
        ("PySide6/Qt6Widgets.dll", True),
        ("PySide6/Qt6OpenGL.dll", True),  # pyqtgraph imports QtOpenGL
        ("PySide6/opengl32sw.dll", False),
        ("opengl32sw.dll", False),
        ("PySide6/Qt6Pdf.dll", False),
        ("PySide6/Qt6WebEngineCore.dll", False),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", False),
        ("PySide6/Qt/plugins/platforms/libqvnc.so", False),
        ("PySide6/plugins/platforms/qwindows.dll", True),
        ("PySide6/plugins/styles/qmodernwindowsstyle.dll", True),
        ("PySide6/plugins/imageformats/qico.dll", True),
        ("PySide6/plugins/imageformats/qpdf.dll", False),
        ("PySide6/Qt/plugins/imageformats/libqsvg.so", False),
        ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", False),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
        ("PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so", True),
        ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", False),
        ("PySide6/plugins/tls/qschannelbackend.dll", False),
        ("PySide6/Qt/plugins/qmltooling/libqmldbg_tcp.so", False),
        ("PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so", False),
        ("libssl.so.3", True),
        ("psycopg_binary.libs/libpq-e9b5c9ac.so.5.18", True),
        ("numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so", True),
    ],
)
def test_which_binaries_stay(dest: str, kept: bool) -> None:
    assert layout.keep_binary(dest) is kept


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("PySide6/Qt/translations/qtbase_pt_BR.qm", True),
        ("PySide6/Qt/translations/qt_pt_BR.qm", True),
        ("PySide6/translations/qtbase_pt_BR.qm", True),
        ("PySide6/Qt/translations/qtbase_de.qm", False),
        ("PySide6/Qt/translations/qt_pt_PT.qm", False),
        ("PySide6/translations/qtdeclarative_pt_BR.qm", False),
        ("resources/translations/vigia_pt_BR.qm", True),
        ("PySide6/Qt/qml/QtQuick/qmldir", False),
        ("pyqtgraph/colors/maps/CET-L1.csv", True),
    ],
)
def test_which_data_files_stay(dest: str, kept: bool) -> None:
    assert layout.keep_data(dest) is kept


def test_a_link_to_a_dropped_library_goes_with_it() -> None:
    link = ("libQt6Svg.so.6", "PySide6/Qt/lib/libQt6Svg.so.6", "SYMLINK")
    kept = ("libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Gui.so.6", "SYMLINK")
    assert not layout.keep_entry(link)
    assert layout.keep_entry(kept)


def test_libraries_only_dropped_plugins_needed_are_pruned(tmp_path: Path) -> None:
    def lib(name: str) -> str:
        path = tmp_path / name
        path.touch()
        return str(path)

    graph = {
        lib("QtGui.abi3.so"): [lib("libglib-2.0.so.0")],
        lib("libglib-2.0.so.0"): [lib("libpcre2-8.so.0")],
        lib("libgtk-3.so.0"): [lib("libpango-1.0.so.0")],  # a dropped plugin's tree
        lib("libpango-1.0.so.0"): [lib("libglib-2.0.so.0")],
        lib("libpcre2-8.so.0"): [],
    }
    binaries = [
        ("PySide6/QtGui.abi3.so", lib("QtGui.abi3.so"), "EXTENSION"),
        ("libglib-2.0.so.0", lib("libglib-2.0.so.0"), "BINARY"),
        ("libpcre2-8.so.0", lib("libpcre2-8.so.0"), "BINARY"),
        ("libgtk-3.so.0", lib("libgtk-3.so.0"), "BINARY"),
        ("libpango-1.0.so.0", lib("libpango-1.0.so.0"), "BINARY"),
        ("libpython3.11.so.1.0", lib("libpython3.11.so.1.0"), "BINARY"),
    ]
    pruned = layout.prune_unreferenced_libraries(
        binaries, lambda path: [(Path(p).name, p) for p in graph.get(path, [])]
    )
    assert [dest for dest, _, _ in pruned] == [
        "PySide6/QtGui.abi3.so",
        "libglib-2.0.so.0",
        "libpcre2-8.so.0",
        "libpython3.11.so.1.0",
    ]


# -- Vigia's own files --------------------------------------------------------------------


def test_resources_are_collected_without_their_sources() -> None:
    collected = {Path(src).relative_to(REPO).as_posix() for src, _ in layout.resource_datas(REPO)}
    assert "resources/icons/vigia.ico" in collected
    assert "resources/icons/vigia.svg" in collected
    assert "resources/prometheus/vigia-rules.yml" in collected
    assert "resources/grafana/vigia-dashboard.json" in collected
    assert not [p for p in collected if p.endswith(".ts")]


def test_migrations_are_collected_where_migrate_py_looks_for_them() -> None:
    from embedded_backend.db import migrate

    datas = layout.migration_datas(REPO)
    folders = {dest for _, dest in datas}
    files = {Path(src).name for src, _ in datas}
    assert {"env.py", "script.py.mako", "0001_initial_schema.py"} <= files
    assert folders == {"embedded_backend/migrations", "embedded_backend/migrations/versions"}
    assert not [src for src, _ in datas if "__pycache__" in src]
    # migrate.py finds them next to its own package; in the bundle that is
    # sys._MEIPASS/embedded_backend/migrations, the folder collected above.
    assert migrate.MIGRATIONS.relative_to(REPO).as_posix() == "embedded_backend/migrations"


# -- Windows resources and names ----------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "numbers"),
    [
        ("0.1.0", (0, 1, 0, 0)),
        ("1.2.3", (1, 2, 3, 0)),
        ("2.0.0rc1", (2, 0, 0, 0)),
        ("3", (3, 0, 0, 0)),
    ],
)
def test_windows_wants_four_version_numbers(version: str, numbers: tuple[int, ...]) -> None:
    assert version_info.numeric_version(version) == numbers


def test_the_version_resource_names_the_executable_and_the_version() -> None:
    """The version file PyInstaller reads on Windows, evaluated here with stand-ins of
    PyInstaller's classes (the real ones import pefile, which is Windows only)."""

    def record(kind: str) -> object:
        return lambda *args, **kwargs: {"kind": kind, "args": args, **kwargs}

    names = [
        "VSVersionInfo",
        "FixedFileInfo",
        "StringFileInfo",
        "StringTable",
        "StringStruct",
        "VarFileInfo",
        "VarStruct",
    ]
    scope = {name: record(name) for name in names}
    text = version_info.version_file_text("vigia-cli.exe", "1.4.2rc1")
    resource = eval(text, {"__builtins__": {}}, scope)
    assert resource["ffi"]["filevers"] == (1, 4, 2, 0)
    assert resource["ffi"]["prodvers"] == (1, 4, 2, 0)
    [string_info, var_info] = resource["kids"]
    [table] = string_info["args"][0]
    lang, entries = table["args"]
    assert lang == "040904B0"
    strings = {entry["args"][0]: entry["args"][1] for entry in entries}
    assert strings["OriginalFilename"] == "vigia-cli.exe"
    assert strings["ProductVersion"] == "1.4.2rc1"
    assert strings["ProductName"] == "Vigia"
    assert var_info["args"][0][0]["args"] == ("Translation", [0x0409, 1200])
    assert version_info.project_version() == _pyproject_version()


def _pyproject_version() -> str:
    import tomllib

    with (REPO / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def test_installer_app_and_registry_names_match_the_app() -> None:
    defines = nsis_defines()
    assert defines["APP_ID"] == entry.APP_USER_MODEL_ID
    assert defines["RUN_VALUE"] == autostart.APP_NAME
    assert defines["RUN_KEY"] == autostart.RUN_KEY
    assert defines["GUI_EXE"] == "Vigia.exe"
    assert defines["CLI_EXE"] == "vigia-cli.exe"
    spec = (BUILD / "vigia.spec").read_text(encoding="utf-8")
    assert 'name="Vigia",' in spec and 'name="vigia-cli",' in spec


# -- the entry script ---------------------------------------------------------------------


def test_missing_streams_are_replaced_before_anything_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A windowed Windows build starts with sys.stdout/stderr = None."""
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    kept_stdin = io.StringIO("")
    monkeypatch.setattr(sys, "stdin", kept_stdin)
    entry._replace_missing_streams()
    try:
        assert sys.stdout is not None and sys.stderr is not None
        print("goes nowhere")
        sys.stderr.write("nowhere either\n")
        assert sys.stdin is kept_stdin
    finally:
        sys.stdout.close()
        sys.stderr.close()


# -- size report --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "component"),
    [
        ("vigia", "executables"),
        ("Vigia.exe", "executables"),
        ("_internal/PySide6/Qt/lib/libicudata.so.73", "Qt: ICU"),
        ("_internal/PySide6/Qt/lib/libQt6Gui.so.6", "Qt: Core"),
        ("_internal/PySide6/Qt6Gui.dll", "Qt: Core"),
        ("_internal/PySide6/plugins/platforms/qwindows.dll", "Qt: plugins"),
        ("_internal/PySide6/QtWidgets.pyd", "Qt: Python"),
        ("_internal/numpy.libs/libscipy_openblas64_.so", "numpy"),
        ("_internal/libpython3.11.so.1.0", "Python runtime"),
        ("_internal/python311.dll", "Python runtime"),
        ("_internal/_ssl.pyd", "Python runtime"),
        ("_internal/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so", "Python"),
        ("_internal/libssl.so.3", "system libraries"),
        ("_internal/libcrypto-3.dll", "system libraries"),
        ("_internal/sqlalchemy/cyextension/util.cpython-311-x86_64-linux-gnu.so", "other Python"),
        ("_internal/resources/icons/vigia.ico", "Vigia resources"),
        ("_internal/embedded_backend/migrations/env.py", "Vigia resources"),
        ("_internal/keyring-25.7.0.dist-info/METADATA", "package metadata"),
    ],
)
def test_size_report_components(path: str, component: str) -> None:
    assert sizes.classify(path).startswith(component)


def test_smoke_executables_per_system() -> None:
    onedir = Path("dist/vigia")
    expected_cli = "vigia-cli.exe" if sys.platform == "win32" else "vigia"
    assert SMOKE.cli_executable(onedir).name == expected_cli


def test_the_tray_and_dashboard_import_without_the_excluded_modules(tmp_path: Path) -> None:
    """What the freeze leaves out, blocked in a fresh interpreter: the tray and the
    dashboard (pyqtgraph) must still import (a frozen-only failure caught without freezing)."""
    script = f"""
import importlib.abc, sys
BLOCKED = {sorted(layout.EXCLUDED_MODULES)!r}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in BLOCKED):
            raise ModuleNotFoundError(f"No module named {{name!r}} (excluded from the bundle)")
        return None
sys.meta_path.insert(0, Block())
import desktop.ui.app
import desktop.ui.dashboard.window
import embedded_backend.app
print("imported")
"""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env={**_clean_env(), "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.strip() == "imported"


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("VIGIA_", "QT_"))}
