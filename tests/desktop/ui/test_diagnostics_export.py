"""Export diagnostics from the tray (offscreen): the zip is written in a worker and the
message names its path; a bad target is reported; cancelling the file dialog does nothing."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from desktop.ui import tasks
from desktop.ui.context import UiContext
from desktop.ui.diagnostics import export_diagnostics_interactive
from embedded_backend.config import Settings
from tests.desktop.ui.contexts import ui_context

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture(autouse=True)
def _tasks_report(qtbot: QtBot) -> Iterator[None]:
    """Every request a window started has reported before the next test."""
    yield
    qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=30_000)


@pytest.fixture
def ctx(make_settings: Callable[..., Settings]) -> Iterator[UiContext]:
    settings = make_settings()
    settings.paths.ensure()
    settings.paths.backend_log.write_text('{"msg": "hello"}\n', encoding="utf-8")
    with ui_context(settings) as context:
        yield context


def test_writes_the_zip_and_says_where(qtbot: QtBot, ctx: UiContext, tmp_path: Path) -> None:
    target = tmp_path / "out" / "support.zip"
    target.parent.mkdir()
    export = export_diagnostics_interactive(None, ctx, target)
    assert export is not None
    with qtbot.waitSignal(export.finished, timeout=60_000) as blocker:
        pass
    bundle = blocker.args[0]
    assert bundle.path == target
    with zipfile.ZipFile(target) as zf:
        assert "logs/backend.jsonl" in zf.namelist() and "README.txt" in zf.namelist()
    box = export.message_box
    assert box is not None and str(target) in box.text()
    assert any(b.text() == "Open folder" for b in box.buttons())
    box.close()


def test_a_target_that_cannot_be_written_is_reported(
    qtbot: QtBot, ctx: UiContext, tmp_path: Path
) -> None:
    export = export_diagnostics_interactive(None, ctx, tmp_path / "missing" / "x.zip")
    assert export is not None
    with qtbot.waitSignal(export.failed, timeout=60_000) as blocker:
        pass
    assert "does not exist" in blocker.args[0]
    assert export.message_box is not None and blocker.args[0] in export.message_box.text()
    export.message_box.close()


def test_cancelled_file_dialog_does_nothing(
    ctx: UiContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The native file dialog cannot be driven offscreen; "Cancel" is its empty answer.
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    assert export_diagnostics_interactive(None, ctx) is None


def test_zip_suffix_is_added(
    qtbot: QtBot, ctx: UiContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = tmp_path / "bundle"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(chosen), ""))
    export = export_diagnostics_interactive(None, ctx)
    assert export is not None and export.target == tmp_path / "bundle.zip"
    with qtbot.waitSignal(export.finished, timeout=60_000):
        pass
    assert (tmp_path / "bundle.zip").is_file()
    assert export.message_box is not None
    export.message_box.close()
