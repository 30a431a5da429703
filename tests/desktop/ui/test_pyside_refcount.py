"""The guard against PySide6 6.12's reference bug on Python 3.11: calls that return None
(any void method) or a bool (emit, disconnect) take a reference away from None, True or
False, and the interpreter aborts once a count reaches 0 ("Fatal Python error:
none_dealloc"). With the guard, importing desktop.ui is enough for any number of calls."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from desktop.ui import pyside_refcount

# Without the guard this aborts after a few thousand calls (None has about 6,000
# references in such a small process); the tray with its dashboard open made about 75
# such calls a second.
MANY_CALLS = """
import sys
import desktop.ui  # installs the guard
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel

class Sender(QObject):
    ping = Signal()

    def on_ping(self):
        pass

app = QApplication(["many-calls"])
label, sender = QLabel(), Sender()
for _ in range(200_000):
    label.setText("x")  # returns None
    sender.ping.emit()  # returns True
for _ in range(20_000):
    sender.ping.connect(sender.on_ping)
    sender.ping.disconnect(sender.on_ping)  # returns True
    sender.ping.disconnect(sender.on_ping)  # returns False (and warns)
print("ok", flush=True)
"""


def test_any_number_of_calls_leaves_the_interpreter_standing() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-c", MANY_CALLS],
        cwd=Path(__file__).resolve().parents[3],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["ok"]


def test_pinned_only_where_pyside_takes_references() -> None:
    pinned = pyside_refcount.install()  # done when desktop.ui was imported: the same answer
    assert pinned == (sys.version_info < (3, 12) and pyside_refcount.takes_references())
    if pinned:
        for obj in (None, True, False):
            assert sys.getrefcount(obj) > pyside_refcount.PIN // 2
