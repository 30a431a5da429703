"""The bridge: core signals emitted on worker threads arrive as Qt signals on the GUI
thread."""

from __future__ import annotations

import os
import subprocess
import sys
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


# A bridge deleted while a core thread relays to it. Before the bridge relayed through
# the courier (the core's threads emitted a signal of the bridge itself), this crashed
# with a segfault; run in a subprocess, so that a crash fails this test only.
DELETED_WHILE_RELAYING = """
import logging, threading, time, types
from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QApplication
from desktop.core.signals import Signal
from desktop.core.supervisor import State, Transition
from desktop.ui.bridge import CoreBridge

app = QApplication(["bridge-deleted-while-relaying"])
core = types.SimpleNamespace(
    supervisor=types.SimpleNamespace(state_changed=Signal("s"), request_failed=Signal("r")),
    poller=types.SimpleNamespace(sample_taken=Signal("p")),
    alerts=types.SimpleNamespace(toast_requested=Signal("t"), changed=Signal("c")),
)
failures = []  # what the core's Signal logs when a handler raises
handler = logging.Handler(logging.ERROR)
handler.emit = failures.append
logging.getLogger().addHandler(handler)
transition = Transition(State.STOPPED, State.STARTING, "test", 0.0, 0)
for _ in range(20):
    owner = QObject()
    CoreBridge(owner).attach(core)
    relayed = [0]
    stop = threading.Event()

    def relay():
        while not stop.is_set():
            core.supervisor.state_changed.emit(transition)
            relayed[0] += 1

    worker = threading.Thread(target=relay)
    worker.start()
    while relayed[0] < 50:
        time.sleep(0.0001)
    owner.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    after = relayed[0]
    while relayed[0] < after + 50:
        app.processEvents()
    stop.set()
    worker.join()
    app.processEvents()
print("ok", len(failures), flush=True)
"""


def test_a_bridge_deleted_while_the_core_relays_is_left_alone() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONFAULTHANDLER": "1"}
    done = subprocess.run(
        [sys.executable, "-c", DELETED_WHILE_RELAYING],
        cwd=Path(__file__).resolve().parents[3],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["ok", "0"]
