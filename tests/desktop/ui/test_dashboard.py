"""The dashboard on a core of real parts on a fake clock (offscreen): banner, database
card, routers table (enable/disable through the admin API), graph ranges from memory and
from the history, alerts list with resolve."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QSystemTrayIcon
from pytestqt.qtbot import QtBot

from desktop.core.config import DesktopConfig
from desktop.core.samples import Sample
from desktop.ui.app import TrayApp
from desktop.ui.dashboard.window import DashboardWindow
from desktop.ui.notify import Notifier
from tests.desktop.ui.fake_core import FakeCore, fake_core

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def core(home: Path) -> Iterator[FakeCore]:
    with fake_core(home, config=DesktopConfig(alert_min_duration_s=4)) as core:
        yield core


@pytest.fixture
def dashboard(qtbot: QtBot, core: FakeCore) -> Iterator[DashboardWindow]:
    app = TrayApp(core.ctx, notifier=Notifier(QSystemTrayIcon(), send=lambda *_: None))
    window = app.open_dashboard()
    qtbot.addWidget(window)
    yield window
    app.shutdown()


def run_until_sample(qtbot: QtBot, window: DashboardWindow, core: FakeCore, s: float) -> None:
    with qtbot.waitSignal(window.bridge.sample_taken, timeout=5000):
        core.advance(s)


def test_running_backend_fills_banner_cards_routers_and_graph(
    qtbot: QtBot, dashboard: DashboardWindow, core: FakeCore
) -> None:
    core.monitor.start()
    with qtbot.waitSignal(dashboard.bridge.sample_taken, timeout=5000):
        core.step()
    qtbot.waitUntil(lambda: dashboard.banner.title.text() == "ERP server: running")
    assert dashboard.database.status.text() == "answering"
    assert dashboard.database.now.text() == "2.0 ms"
    assert dashboard.routers.table.rowCount() == 4
    assert dashboard.routers.table.item(0, 0).text() == "admin"
    assert dashboard.graph.points == (1, 1)
    run_until_sample(qtbot, dashboard, core, 2)
    assert dashboard.graph.points == (2, 2)
    assert dashboard.banner.button.isHidden()


def test_failing_database_shows_red_banner_with_the_reason_and_a_logs_button(
    qtbot: QtBot, dashboard: DashboardWindow, core: FakeCore
) -> None:
    core.monitor.start()
    core.step()
    core.backend.database = "fail"
    run_until_sample(qtbot, dashboard, core, 2)
    qtbot.waitUntil(lambda: dashboard.banner.title.text() == "ERP server: failed")
    assert dashboard.banner.reason.text() == "database unreachable"
    assert dashboard.database.status.text() == "not answering"
    assert dashboard.banner.button.text() == "View logs"
    with qtbot.waitSignal(dashboard.action_requested, timeout=1000) as blocker:
        dashboard.banner.button.click()
    assert blocker.args == ["logs"]


def test_an_admin_disables_and_enables_a_router(
    qtbot: QtBot, dashboard: DashboardWindow, core: FakeCore
) -> None:
    core.monitor.start()
    with qtbot.waitSignal(dashboard.bridge.sample_taken, timeout=5000):
        core.step()
    panel = dashboard.routers
    panel.select("orders")
    assert panel.disable_button.isEnabled() and not panel.enable_button.isEnabled()
    with qtbot.waitSignal(panel.toggled, timeout=5000) as blocker:
        panel.disable_button.click()
    assert blocker.args == ["orders", "disabled"]
    assert ("POST", "/api/v1/admin/routers/orders/disable") in core.backend.calls
    with qtbot.waitSignal(dashboard.bridge.sample_taken, timeout=5000):
        core.step()  # the panel asked for a poll at once
    row = next(r for r in range(4) if panel.table.item(r, 0).text() == "orders")
    assert panel.table.item(row, 2).text() == "disabled"
    assert panel.enable_button.isEnabled()
    with qtbot.waitSignal(panel.toggled, timeout=5000) as blocker:
        panel.enable_button.click()
    assert blocker.args == ["orders", "enabled"]


def test_the_admin_router_cannot_be_disabled(
    qtbot: QtBot, dashboard: DashboardWindow, core: FakeCore
) -> None:
    core.monitor.start()
    with qtbot.waitSignal(dashboard.bridge.sample_taken, timeout=5000):
        core.step()
    dashboard.routers.select("admin")
    assert not dashboard.routers.disable_button.isEnabled()
    # Asked anyway (a stale button): the backend's words are shown.
    with qtbot.waitSignal(dashboard.routers.toggle_failed, timeout=5000) as blocker:
        dashboard.routers.set_enabled(False)
    assert blocker.args == ["admin", "The admin router cannot be disabled"]
    assert dashboard.routers.message.text() == "The admin router cannot be disabled"


def test_each_range_draws_from_memory_or_the_history(
    qtbot: QtBot, dashboard: DashboardWindow, core: FakeCore
) -> None:
    history = core.monitor.history
    assert history is not None
    now = core.clock.time()
    # Two days of one sample a minute, as the poller would have written them.
    for minute in range(2 * 24 * 60):
        history.add(Sample(now - 2 * 86400 + minute * 60, 0.0, "pass", latency_ms=3.0))
    history.flush()
    graph = dashboard.graph
    graph.now = core.clock.time
    expected = {"span-hour": 60, "span-day": 24 * 60, "span-week": 49, "span-min15": 0}
    for name, points in expected.items():
        button = graph.findChild(QPushButton, name)
        with qtbot.waitSignal(graph.span_changed, timeout=1000):
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert button.isChecked()
        latency, database = graph.points
        assert abs(latency - points) <= 1, (name, latency)
        assert database == 0  # these samples had no database value


def test_resolving_a_server_alert_goes_through_the_admin_api(
    qtbot: QtBot, dashboard: DashboardWindow, core: FakeCore
) -> None:
    alert_id = uuid.uuid4().hex
    core.backend.server_alerts.append(
        {
            "id": alert_id,
            "rule": "error_rate",
            "subject": "http",
            "severity": "error",
            "state": "active",
            "message": "12% of requests failed in the last 5 minutes",
        }
    )
    core.monitor.start()
    core.step()
    with qtbot.waitSignal(dashboard.bridge.alert_changed, timeout=5000):
        core.advance(6)
    panel = dashboard.alerts
    [record] = [r for r in panel.records if r.active]
    assert record.title == "Server alert"
    panel.select(record.id)
    assert panel.resolve_button.isEnabled()
    with qtbot.waitSignal(panel.resolved, timeout=5000) as blocker:
        panel.resolve_button.click()
    assert blocker.args == [record.id]
    assert ("POST", f"/api/v1/monitoring/alerts/{alert_id}/resolve") in core.backend.calls
    assert core.backend.server_alerts == []


def test_vigias_own_alerts_are_not_resolvable_by_hand(
    qtbot: QtBot, dashboard: DashboardWindow, core: FakeCore
) -> None:
    core.monitor.start()
    core.step()
    core.backend.database = "fail"
    with qtbot.waitSignal(dashboard.bridge.alert_changed, timeout=5000):
        core.advance(6)
    panel = dashboard.alerts
    [record] = [r for r in panel.records if r.active]
    assert record.title == "Database not answering"
    panel.select(record.id)
    assert not panel.resolve_button.isEnabled()
    assert "clear by themselves" in panel.resolve_button.toolTip()
