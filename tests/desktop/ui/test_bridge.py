"""The bridge: core signals emitted on worker threads arrive as Qt signals on the GUI
thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.core.alerts import Notice
from desktop.core.categories import Category
from desktop.core.supervisor import State, Transition
from desktop.ui.bridge import CoreBridge
from tests.desktop.ui.fake_core import FakeCore, fake_core


@pytest.fixture
def core(home: Path) -> Iterator[FakeCore]:
    with fake_core(home) as core:
        yield core


def test_a_transition_from_a_worker_thread_arrives_on_the_gui_thread(
    qtbot: QtBot, core: FakeCore
) -> None:
    bridge = CoreBridge()
    bridge.attach(core.monitor)
    threads: list[QThread] = []
    bridge.state_changed.connect(lambda _t: threads.append(QThread.currentThread()))
    transition = Transition(State.STOPPED, State.STARTING, "test", 0.0, 0)
    worker = threading.Thread(target=core.monitor.supervisor.state_changed.emit, args=(transition,))
    with qtbot.waitSignal(bridge.state_changed, timeout=5000) as blocker:
        worker.start()
        worker.join()
    assert blocker.args == [transition]
    app = QApplication.instance()
    assert app is not None
    assert threads == [app.thread()]


def test_toasts_and_alert_changes_are_relayed_and_detach_stops_them(
    qtbot: QtBot, core: FakeCore
) -> None:
    bridge = CoreBridge()
    bridge.attach(core.monitor)
    notice = Notice("raised", Category.DATABASE, "error", "Database not answering", "x", "id1")
    with qtbot.waitSignal(bridge.toast_requested, timeout=5000) as blocker:
        core.monitor.alerts.toast_requested.emit(notice)
    assert blocker.args == [notice]

    bridge.detach()
    with qtbot.assertNotEmitted(bridge.toast_requested, wait=200):
        core.monitor.alerts.toast_requested.emit(notice)
