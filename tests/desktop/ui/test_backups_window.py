"""BackupsWindow against a real backend on a real uvicorn (SQLite in a temp VIGIA_HOME):
list, Back up now with progress, Verify, Restore with its confirmation and the safety
backup; and, through httpx.MockTransport, what the live backend cannot be made to do on
demand (a job that never ends, a failing job, a server that is down)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop.ui import tasks
from desktop.ui.backups import DATE, SIZE, STATE, TRIGGER, VERIFIED, BackupsWindow
from desktop.ui.context import UiContext
from embedded_backend.config import Settings
from tests.desktop.ui.contexts import ui_context
from tests.embedded_backend.api.support import make_product
from tests.helpers.live import ADMIN_TOKEN, LiveServer, live_server

JOB_TIMEOUT_MS = 60_000
# The offscreen platform says this when a message box is shown; it is not our warning.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture(autouse=True)
def _tasks_report(qtbot: QtBot) -> Iterator[None]:
    """Every request a window started has reported before the next test."""
    yield
    qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=30_000)


@pytest.fixture
def server(make_settings: Callable[..., Settings]) -> Iterator[LiveServer]:
    with live_server(make_settings()) as live:
        yield live


@pytest.fixture
def ctx(server: LiveServer) -> Iterator[UiContext]:
    with ui_context(server.settings, url=server.url, token=ADMIN_TOKEN) as context:
        yield context


def open_window(qtbot: QtBot, ctx: UiContext) -> tuple[BackupsWindow, int]:
    window = BackupsWindow(ctx)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.listed, timeout=10_000) as blocker:
        pass  # the first listing arrives through the event loop
    return window, int(blocker.args[0])


def cells(window: BackupsWindow, row: int) -> list[str]:
    return [window.table.item(row, column).text() for column in range(window.table.columnCount())]


def back_up(qtbot: QtBot, window: BackupsWindow) -> dict[str, Any]:
    steps: list[tuple[float, str]] = []
    window.progressed.connect(lambda f, s: steps.append((f, s)))
    with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT_MS) as finished:
        window.backup_button.click()
        assert window.job_panel.isVisibleTo(window)
        assert not window.backup_button.isEnabled()
    kind, job = finished.args
    assert kind == "create" and job["state"] == "done"
    assert steps and steps[-1][0] == 1.0
    with qtbot.waitSignal(window.listed, timeout=10_000):
        pass  # refreshed after the job
    result: dict[str, Any] = job["result"]
    return result


def test_empty_list_then_back_up_now(qtbot: QtBot, ctx: UiContext) -> None:
    window, rows = open_window(qtbot, ctx)
    assert rows == 0
    assert "no backups yet" in window.status.text()
    made = back_up(qtbot, window)
    assert window.table.rowCount() == 1
    assert window.backups[0]["id"] == made["id"]
    row = cells(window, 0)
    assert row[TRIGGER] == "By hand"
    assert row[VERIFIED] == "Yes, when made"
    assert row[STATE] == "Usable"
    assert row[SIZE] != "?" and row[DATE] != "?"
    assert "Backup made" in window.status.text()
    assert not window.job_panel.isVisibleTo(window)
    assert window.backup_button.isEnabled()


def test_verify_the_selected_backup(qtbot: QtBot, ctx: UiContext) -> None:
    window, _ = open_window(qtbot, ctx)
    back_up(qtbot, window)
    assert not window.verify_button.isEnabled()  # nothing selected yet
    window.table.selectRow(0)
    with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT_MS) as finished:
        window.verify_button.click()
    kind, job = finished.args
    assert kind == "verify" and job["result"]["ok"] is True
    assert "is intact" in window.status.text()


def test_restore_asks_names_the_date_and_shows_the_safety_backup(
    qtbot: QtBot, ctx: UiContext, server: LiveServer
) -> None:
    with server.client() as c:
        make_product(c, sku="BEFORE-1")
    window, _ = open_window(qtbot, ctx)
    made = back_up(qtbot, window)
    with server.client() as c:
        make_product(c, sku="AFTER-1")  # recorded after the backup: the restore removes it

    assert window.select_backup(made["id"])
    window.restore_button.click()
    box = window.confirm_box
    assert box is not None and box.isVisible()
    date = cells(window, 0)[DATE]
    assert date in box.text()
    assert "will be replaced" in box.informativeText()
    assert "safety backup" in box.informativeText()
    replace = next(b for b in box.buttons() if b.text() == "Replace the data")
    with qtbot.waitSignal(window.restored, timeout=JOB_TIMEOUT_MS) as restored:
        replace.click()
    safety_id = restored.args[0]
    assert safety_id and safety_id != made["id"]
    assert safety_id in window.status.text()
    assert window.result_box is not None and safety_id in window.result_box.text()
    with qtbot.waitSignal(window.listed, timeout=10_000):
        pass
    safety = next(b for b in window.backups if b["id"] == safety_id)
    assert safety["trigger"] == "pre-restore"
    with server.client() as c:
        skus = {p["sku"] for p in c.get("/api/v1/products").json()["items"]}
    assert "BEFORE-1" in skus and "AFTER-1" not in skus


def test_restore_not_confirmed_changes_nothing(
    qtbot: QtBot, ctx: UiContext, server: LiveServer
) -> None:
    window, _ = open_window(qtbot, ctx)
    made = back_up(qtbot, window)
    window.select_backup(made["id"])
    window.restore_button.click()
    box = window.confirm_box
    assert box is not None
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert window.confirm_box is None
    assert not window.follower or not window.follower.active
    assert not window.job_panel.isVisibleTo(window)
    with server.client() as c:
        assert c.get("/api/v1/admin/backups/jobs").json()["total"] == 1  # the create only


def test_open_folder_local_only(qtbot: QtBot, ctx: UiContext, server: LiveServer) -> None:
    window, _ = open_window(qtbot, ctx)
    assert window.folder == str(server.settings.paths.backups)
    assert window.folder_button.isEnabled()


# -- what a live backend cannot be made to do on demand -------------------------------------

BACKUP = {
    "id": "20261123-170000-a1b2",
    "status": "ok",
    "created_at": "2026-11-23T17:00:00Z",
    "size": 123456,
    "verified": True,
    "trigger": "schedule",
    "last_verified_at": "2026-11-24T08:00:00Z",
    "problem": None,
}
BAD = {
    "id": "20261120-170000-ffff",
    "status": "bad",
    "created_at": "2026-11-20T17:00:00Z",
    "size": 10,
    "verified": False,
    "trigger": "manual",
    "problem": "sha256 does not match",
}


def fake_api(job_states: list[dict[str, Any]]) -> httpx.MockTransport:
    """Backups list + a create job whose successive GETs return ``job_states``."""
    answers = iter(job_states)
    last: dict[str, Any] = {}

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/v1/admin/backups" and request.method == "GET":
            return httpx.Response(200, json={"items": [BACKUP, BAD], "total": 2, "folder": "/srv"})
        if path == "/api/v1/admin/backups" and request.method == "POST":
            return httpx.Response(
                202, json={"id": "0123456789ab", "state": "queued", "progress": 0}
            )
        if path == "/api/v1/admin/backups/jobs/0123456789ab":
            last.update(next(answers, last))
            return httpx.Response(200, json={"id": "0123456789ab", **last})
        return httpx.Response(404, json={"detail": "no"})

    return httpx.MockTransport(handle)


@pytest.fixture
def remote_ctx(tmp_path: Path) -> Iterator[Callable[[httpx.MockTransport], UiContext]]:
    contexts: list[Any] = []

    def make(transport: httpx.MockTransport) -> UiContext:
        manager = ui_context(
            None, home=tmp_path / "desk", url="http://erp:8002", token="t" * 20, transport=transport
        )
        contexts.append(manager)
        return manager.__enter__()

    yield make
    for manager in contexts:
        manager.__exit__(None, None, None)


def test_remote_list_bad_entries_and_folder_disabled(
    qtbot: QtBot, remote_ctx: Callable[[httpx.MockTransport], UiContext]
) -> None:
    window, rows = open_window(qtbot, remote_ctx(fake_api([])))
    assert rows == 2
    assert cells(window, 0)[TRIGGER] == "Scheduled"
    assert cells(window, 0)[VERIFIED].startswith("Yes, on ")
    assert cells(window, 1)[STATE] == "Not usable: sha256 does not match"
    assert not window.folder_button.isEnabled()
    window.table.selectRow(1)
    assert window.verify_button.isEnabled() and not window.restore_button.isEnabled()
    window.table.selectRow(0)
    assert window.restore_button.isEnabled()
    assert window.status.text() == "1 backup(s)."


def test_cancel_stops_waiting_and_says_the_backup_goes_on(
    qtbot: QtBot, remote_ctx: Callable[[httpx.MockTransport], UiContext]
) -> None:
    running = {"state": "running", "progress": 0.3, "step": "backing up the database"}
    window, _ = open_window(qtbot, remote_ctx(fake_api([running])))
    with qtbot.waitSignal(
        window.progressed, check_params_cb=lambda f, s: f == 0.3, timeout=10_000
    ) as progressed:
        window.start_backup()
    assert progressed.args == [0.3, "backing up the database"]
    assert window.progress.value() == 30
    window.cancel_button.click()
    assert window.follower is not None and not window.follower.active
    assert not window.job_panel.isVisibleTo(window)
    assert "goes on in the server" in window.status.text()
    assert window.backup_button.isEnabled()


def test_failed_job_is_reported(
    qtbot: QtBot, remote_ctx: Callable[[httpx.MockTransport], UiContext]
) -> None:
    failed = {"state": "failed", "progress": 0.05, "error": "the disk is full"}
    window, _ = open_window(qtbot, remote_ctx(fake_api([failed])))
    with qtbot.waitSignal(window.job_failed, timeout=10_000) as blocker:
        window.start_backup()
    assert blocker.args == ["create", "the disk is full"]
    assert window.status.text() == "The backup was not made: the disk is full"


def test_server_down_is_reported(
    qtbot: QtBot, remote_ctx: Callable[[httpx.MockTransport], UiContext]
) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    window = BackupsWindow(remote_ctx(httpx.MockTransport(down)))
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.failed, timeout=10_000) as blocker:
        pass
    assert "Cannot reach the ERP server" in blocker.args[0]
    assert window.status.text() == blocker.args[0]
