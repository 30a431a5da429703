"""LogViewer on real files in a temp VIGIA_HOME (offscreen): newest records across the
rotated files, the 20,000-row cap, filters, follow mode across real rotations, remote
mode through the admin API (httpx.MockTransport serving the real reader)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytestqt.qtbot import QtBot

from desktop.ui.context import UiContext
from desktop.ui.logs.model import MESSAGE, REQUEST
from desktop.ui.logs.viewer import LogViewer
from desktop.ui.logs.worker import WorkerThread
from embedded_backend.config import Settings
from embedded_backend.logs import configure_logging, shutdown_logging
from embedded_backend.logs.reader import LogFilter, tail
from tests.desktop.ui.contexts import ui_context

T0 = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
RID = "0123456789abcdef0123456789abcdef"
TOKEN = "viewer-test-token-0123456789"


def line(n: int, level: str = "INFO", request_id: str | None = None, msg: str = "") -> str:
    return (
        json.dumps(
            {
                "ts": (T0 + timedelta(milliseconds=n)).isoformat(timespec="milliseconds"),
                "level": level,
                "logger": "vigia.test",
                "msg": msg or f"record {n}",
                "request_id": request_id,
                "thread": "MainThread",
            }
        )
        + "\n"
    )


@pytest.fixture(autouse=True)
def _threads_end() -> Iterator[None]:
    yield
    assert WorkerThread.stop_all(10_000), "a log viewer worker thread did not end"


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    s = make_settings()
    s.paths.ensure()
    return s


@pytest.fixture
def ctx(settings: Settings) -> Iterator[UiContext]:
    with ui_context(settings) as context:
        yield context


def messages(viewer: LogViewer) -> list[str]:
    model = viewer.model
    return [model.row(i).record["msg"] for i in range(model.rowCount())]


def open_viewer(qtbot: QtBot, ctx: UiContext, **kwargs: Any) -> tuple[LogViewer, int]:
    """A viewer, once its first load is shown; returns it and the rows loaded. The
    worker's answer reaches the viewer through the GUI event loop, so ``loaded`` cannot
    have been emitted before waitSignal runs that loop."""
    viewer = LogViewer(ctx, **kwargs)
    qtbot.addWidget(viewer)
    with qtbot.waitSignal(viewer.loaded, timeout=10_000) as blocker:
        pass
    return viewer, int(blocker.args[0])


def test_newest_records_across_rotated_files(
    qtbot: QtBot, ctx: UiContext, settings: Settings
) -> None:
    log_file = settings.paths.backend_log
    log_file.with_name("backend.jsonl.1").write_text(
        "".join(line(n) for n in range(50)), encoding="utf-8"
    )
    log_file.write_text("".join(line(n) for n in range(50, 80)), encoding="utf-8")
    viewer, rows = open_viewer(qtbot, ctx, max_rows=60)
    assert rows == 60
    assert messages(viewer)[0] == "record 20" and messages(viewer)[-1] == "record 79"
    assert "older ones are not loaded" in viewer.status.text()
    # The newest is at the bottom, on screen; selecting shows the whole record.
    viewer.table.selectRow(59)
    assert "record 79" in viewer.details.toPlainText()
    assert viewer.model.index(59, MESSAGE).data() == "record 79"


def test_at_most_20000_rows_even_while_following(
    qtbot: QtBot, ctx: UiContext, settings: Settings
) -> None:
    log_file = settings.paths.backend_log
    log_file.write_text("".join(line(n) for n in range(25_000)), encoding="utf-8")
    viewer, rows = open_viewer(qtbot, ctx, poll_interval_ms=60_000)
    assert rows == 20_000 == viewer.model.rowCount()
    assert messages(viewer)[0] == "record 5000"
    with log_file.open("a", encoding="utf-8") as fh:
        fh.write("".join(line(n) for n in range(25_000, 25_010)))
    with qtbot.waitSignal(viewer.appended, timeout=10_000) as blocker:
        viewer.on_poll_timer_timeout()
    assert blocker.args == [10]
    assert viewer.model.rowCount() == 20_000
    assert messages(viewer)[0] == "record 5010"
    assert messages(viewer)[-1] == "record 25009"


def test_level_text_and_request_filters(qtbot: QtBot, ctx: UiContext, settings: Settings) -> None:
    records = [
        line(0, "DEBUG"),
        line(1, "INFO", msg="Pedido 1 criado"),
        line(2, "WARNING", RID, msg="slow query"),
        line(3, "ERROR", RID, msg="Pedido 3 falhou"),
        line(4, "INFO", msg="other"),
    ]
    settings.paths.backend_log.write_text("".join(records), encoding="utf-8")
    viewer, rows = open_viewer(qtbot, ctx)
    assert rows == 5

    with qtbot.waitSignal(viewer.loaded) as blocker:
        viewer.level_box.setCurrentIndex(viewer.level_box.findData("WARNING"))
    assert blocker.args == [2]
    assert messages(viewer) == ["slow query", "Pedido 3 falhou"]

    with qtbot.waitSignal(viewer.loaded):
        viewer.level_box.setCurrentIndex(0)
    with qtbot.waitSignal(viewer.loaded):
        viewer.search_edit.setText("PED")
        viewer.search_edit.setText("PEDIDO")  # one reload after a short pause (typing)
    assert messages(viewer) == ["Pedido 1 criado", "Pedido 3 falhou"]

    with qtbot.waitSignal(viewer.loaded):
        viewer.search_edit.clear()
        viewer.request_edit.setText(RID)
    assert messages(viewer) == ["slow query", "Pedido 3 falhou"]

    with qtbot.waitSignal(viewer.loaded):
        viewer.request_edit.setText("f" * 32)
    assert viewer.model.rowCount() == 0
    assert viewer.status.text() == "No records match these filters."


def test_double_click_shows_only_that_request(
    qtbot: QtBot, ctx: UiContext, settings: Settings
) -> None:
    settings.paths.backend_log.write_text(
        line(0) + line(1, request_id=RID) + line(2) + line(3, request_id=RID), encoding="utf-8"
    )
    viewer, _ = open_viewer(qtbot, ctx)
    with qtbot.waitSignal(viewer.loaded) as blocker:
        viewer.table.doubleClicked.emit(viewer.model.index(1, REQUEST))
    assert blocker.args == [2]
    assert viewer.request_edit.text() == RID
    assert messages(viewer) == ["record 1", "record 3"]


@pytest.fixture
def real_logging(settings: Settings) -> Iterator[Callable[..., None]]:
    """Write through the backend's real pipeline (RotatingFileHandler, 1 KB files)."""
    root_level = logging.getLogger().level
    log = logging.getLogger("vigia.viewer-test")

    def write(first: int, count: int) -> None:
        configure_logging(
            settings.paths.backend_log, console=False, max_bytes=1_000, backup_count=20
        )
        for n in range(first, first + count):
            log.info("line %d", n)
        shutdown_logging()  # flushes: the lines are in the files now

    yield write
    shutdown_logging()
    logging.getLogger().setLevel(root_level)


def test_follow_survives_rotation(
    qtbot: QtBot, ctx: UiContext, settings: Settings, real_logging: Callable[..., None]
) -> None:
    real_logging(0, 3)
    viewer, rows = open_viewer(qtbot, ctx, poll_interval_ms=60_000)
    assert rows == 3
    # Lines written, then the file rotated several times before the next look.
    real_logging(3, 40)
    assert len(list(settings.paths.logs.glob("backend.jsonl.*"))) >= 3
    with qtbot.waitSignal(viewer.appended, timeout=10_000):
        viewer.on_poll_timer_timeout()
    real_logging(43, 2)
    with qtbot.waitSignal(viewer.appended, timeout=10_000):
        viewer.on_poll_timer_timeout()
    assert [m.split()[-1] for m in messages(viewer)] == [str(n) for n in range(45)]
    assert viewer.source.poll() == []  # nothing twice


def test_follow_timer_and_toggle(qtbot: QtBot, ctx: UiContext, settings: Settings) -> None:
    settings.paths.backend_log.write_text(line(0), encoding="utf-8")
    viewer, _ = open_viewer(qtbot, ctx, poll_interval_ms=20)
    assert viewer._poll_timer.isActive()
    with settings.paths.backend_log.open("a", encoding="utf-8") as fh:
        fh.write(line(1))
    with qtbot.waitSignal(viewer.appended, timeout=5_000) as blocker:
        pass  # the timer polls on its own
    assert blocker.args == [1]
    viewer.follow_box.setChecked(False)
    assert not viewer._poll_timer.isActive()


def test_no_log_yet(qtbot: QtBot, ctx: UiContext) -> None:
    viewer, rows = open_viewer(qtbot, ctx)
    assert rows == 0
    assert viewer.status.text() == "The log is empty."


def test_closing_during_a_long_search_does_not_block(
    qtbot: QtBot, ctx: UiContext, settings: Settings
) -> None:
    settings.paths.backend_log.write_text(
        "".join(line(n) for n in range(200_000)), encoding="utf-8"
    )
    viewer, _ = open_viewer(qtbot, ctx, poll_interval_ms=60_000)
    viewer.search_edit.setText("matches nothing at all")
    viewer.reload()  # a search through every line begins in the worker
    viewer.close()  # returns at once; the search stops at its next check
    assert WorkerThread.stop_all(10_000)


# -- remote mode -------------------------------------------------------------------------


def api_over(log_file: Path, calls: list[dict[str, str]]) -> httpx.MockTransport:
    """/api/v1/admin/logs as the backend answers it (the same reader, the same rules)."""

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/admin/logs"
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json={"detail": "no"})
        q = dict(request.url.params)
        calls.append(q)
        since = datetime.fromisoformat(q["since"]) if "since" in q else None
        filters = LogFilter(q.get("level"), q.get("text"), q.get("request_id"), since)
        result = tail(log_file, filters, int(q.get("limit", 500)))
        return httpx.Response(200, json=result.as_dict())

    return httpx.MockTransport(handle)


def test_remote_mode_reads_through_the_admin_api(
    qtbot: QtBot, tmp_path: Path, settings: Settings
) -> None:
    log_file = settings.paths.backend_log
    log_file.write_text("".join(line(n) for n in range(6000)), encoding="utf-8")
    calls: list[dict[str, str]] = []
    with ui_context(
        None,
        home=tmp_path / "desk",
        url="http://erp-server:8002",
        token=TOKEN,
        transport=api_over(log_file, calls),
    ) as remote:
        viewer, rows = open_viewer(qtbot, remote, poll_interval_ms=60_000)
        assert rows == 5000  # the API gives at most 5,000 at a time
        assert calls[0] == {"limit": "5000"}
        assert not viewer.folder_button.isVisibleTo(viewer)
        # Two new records in the same millisecond as the newest shown: none repeated.
        with log_file.open("a", encoding="utf-8") as fh:
            fh.write(line(5999, msg="same moment") + line(6001))
        with qtbot.waitSignal(viewer.appended) as blocker:
            viewer.on_poll_timer_timeout()
        assert blocker.args == [2]
        assert calls[-1]["since"] == (T0 + timedelta(milliseconds=5999)).isoformat(
            timespec="milliseconds"
        )
        assert messages(viewer)[-3:] == ["record 5999", "same moment", "record 6001"]
        with qtbot.waitSignal(viewer.loaded):
            viewer.level_box.setCurrentIndex(viewer.level_box.findData("ERROR"))
        assert calls[-1]["level"] == "ERROR"
        viewer.close()


def test_remote_failure_is_shown(qtbot: QtBot, tmp_path: Path) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with ui_context(
        None,
        home=tmp_path / "desk",
        url="http://erp-server:8002",
        token=TOKEN,
        transport=httpx.MockTransport(down),
    ) as remote:
        viewer = LogViewer(remote, poll_interval_ms=60_000)
        qtbot.addWidget(viewer)
        with qtbot.waitSignal(viewer.failed, timeout=10_000) as blocker:
            pass
        assert "Cannot reach the ERP server" in blocker.args[0]
        assert viewer.status.text() == blocker.args[0]
        viewer.close()
