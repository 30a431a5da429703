"""run_task: the outcome arrives on the GUI thread as a signal; a window that closes (and
is deleted) while its call runs, or as the call returns, gets nothing and nothing
crashes; the callable is released on the GUI thread; a task without a parent is kept
until it reports. The crash itself is reproduced in a subprocess (a segfault would take
pytest down with it)."""

from __future__ import annotations

import gc
import logging
import os
import subprocess
import sys
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Qt, QThread
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from desktop.core.errors import Error
from desktop.ui import tasks
from desktop.ui.tasks import run_task

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _tasks_report(qtbot: QtBot) -> Iterator[None]:
    yield
    qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=10_000)


class Window(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.label = QLabel(self)
        self.results: list[object] = []

    def on_done(self, value: object) -> None:
        self.results.append(value)
        self.label.setText(str(value))


def gui_thread() -> QThread:
    app = QApplication.instance()
    assert app is not None
    return app.thread()


def test_the_outcome_arrives_on_the_gui_thread(qtbot: QtBot) -> None:
    owner = QObject()
    threads: list[bool] = []
    task = run_task(lambda: threading.current_thread().name, owner)
    task.succeeded.connect(lambda _: threads.append(QThread.currentThread() is gui_thread()))
    with qtbot.waitSignal(task.succeeded, timeout=5000) as blocker:
        pass
    assert blocker.args == ["vigia-ui-task"] and threads == [True]


def test_failures_are_reported_in_plain_words(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    def refused() -> None:
        raise Error("the server refused the backup: the disk is full")

    def broken() -> None:
        raise KeyError("x")

    with qtbot.waitSignal(run_task(refused).failed, timeout=5000) as blocker:
        pass
    assert blocker.args == ["the server refused the backup: the disk is full"]
    with (
        caplog.at_level(logging.ERROR, "desktop.ui.tasks"),
        qtbot.waitSignal(run_task(broken).failed, timeout=5000) as blocker,
    ):
        pass
    assert blocker.args == ["Something went wrong; the details are in the log."]
    assert [r.getMessage() for r in caplog.records] == ["a background task of the tray failed"]


def test_a_window_deleted_while_its_call_runs_gets_nothing(qtbot: QtBot) -> None:
    window = Window()
    gate = threading.Event()
    task = run_task(lambda: gate.wait(5) and "late answer", window)
    task.succeeded.connect(window.on_done)
    results = window.results
    with qtbot.waitSignal(window.destroyed, timeout=5000):
        window.close()
    del window, task
    gate.set()
    qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=5000)
    # The outcome is on its way to the GUI thread: let it arrive, then see it dropped.
    flushed = QObject()
    with qtbot.waitSignal(run_task(lambda: None, flushed).finished, timeout=5000):
        pass
    assert results == []


def test_the_callable_is_released_on_the_gui_thread(qtbot: QtBot) -> None:
    class Held:
        pass

    held = Held()
    released: list[bool] = []
    weakref.finalize(held, lambda: released.append(QThread.currentThread() is gui_thread()))
    window = Window()
    gate = threading.Event()

    def call(thing: Held = held) -> str:
        gate.wait(5)
        return type(thing).__name__

    task = run_task(call, window)
    del held, call
    with qtbot.waitSignal(task.succeeded, timeout=5000):
        gate.set()
    qtbot.waitUntil(lambda: released != [], timeout=5000)
    assert released == [True]
    window.close()


def test_a_task_without_a_parent_is_kept_until_it_reports(qtbot: QtBot) -> None:
    gate = threading.Event()
    answers: list[object] = []
    run_task(lambda: gate.wait(5) and 42).succeeded.connect(answers.append)
    gc.collect()
    gate.set()
    qtbot.waitUntil(lambda: answers == [42], timeout=5000)


def test_a_task_starts_once(qtbot: QtBot) -> None:
    task = run_task(lambda: None, QObject())
    with pytest.raises(RuntimeError, match="once"):
        task.start()


# Windows close while the calls of their tasks return: each window has 20 tasks whose
# calls all return at the moment it is deleted. Before the fix (the worker thread emitted
# the outcome on the task, a child of the window) this crashed with a segfault within the
# first rounds, every run.
CLOSE_DURING_TASKS = """
import sys, threading, time
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from desktop.ui import tasks

app = QApplication(["close-during-tasks"])

class Window(QWidget):
    def __init__(self):
        super().__init__()
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.label = QLabel(self)

    def on_done(self, value):
        self.label.setText(str(value))

for _ in range(int(sys.argv[1])):
    window = Window()
    go = threading.Event()
    for i in range(20):
        task = tasks.run_task(lambda i=i: go.wait(5) and i, window)
        task.succeeded.connect(window.on_done)
    go.set()
    window.close()
    del window, task
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()
deadline = time.monotonic() + 30
while tasks.pending() and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.001)
app.processEvents()
print("ok", tasks.pending(), flush=True)
"""


def test_closing_windows_while_their_calls_return_never_crashes() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONFAULTHANDLER": "1"}
    done = subprocess.run(
        [sys.executable, "-c", CLOSE_DURING_TASKS, "200"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["ok", "0"]
