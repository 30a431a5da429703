"""Run a blocking call (an admin API request, an export) off the GUI thread; get its
outcome as a Qt signal on the GUI thread::

    task = run_task(lambda: ctx.client.routers(), parent=self)
    task.succeeded.connect(self.on_routers_loaded)
    task.failed.connect(self.on_routers_failed)   # str: plain words for the user

``failed`` carries the message of a :class:`desktop.core.errors.Error` (written for
people); any other exception is logged with its traceback and reported in general words.

A window passes itself as ``parent``: the task is deleted with the window, so nothing
connected to it runs for a deleted window. The window may close, and be deleted, at any
moment, also while the call runs or as its outcome comes in: the worker thread never
touches the task (nor the window); it sends the outcome through the
:mod:`desktop.ui.courier`, which drops it when the task is gone by then. A task without a
parent is kept until it has reported.

The worker thread does not hold the last reference to the callable: the task releases
it on the GUI thread, so the callable may hold the window (``self``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal

from desktop.core.errors import Error
from desktop.ui.courier import Address, address_of
from desktop.ui.i18n import tr

log = logging.getLogger(__name__)

_parentless: set[Task] = set()  # started tasks without a parent, until they report
_running = 0  # calls not returned yet (all threads)
_running_lock = threading.Lock()


class Task(QObject):
    succeeded = Signal(object)
    failed = Signal(str)
    finished = Signal()  # after either of the above

    def __init__(self, fn: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn: Callable[[], Any] | None = fn
        self._started = False

    def start(self) -> Task:
        """Call the callable on a new thread (GUI thread; once)."""
        global _running
        fn = self._fn
        if fn is None or self._started:
            raise RuntimeError("a task starts only once")
        self._started = True
        if self.parent() is None:
            _parentless.add(self)
        address = address_of(self._on_outcome)
        with _running_lock:
            _running += 1
        threading.Thread(
            target=_work, args=([fn], address), name="vigia-ui-task", daemon=True
        ).start()
        return self

    def _on_outcome(self, outcome: tuple[bool, Any]) -> None:  # GUI thread, via the courier
        ok, value = outcome
        self._fn = None
        _parentless.discard(self)
        if ok:
            self.succeeded.emit(value)
        else:
            self.failed.emit(str(value))
        if shiboken6.isValid(self):  # a slot may have deleted the parent, and so this
            self.finished.emit()
            self.deleteLater()


def _work(box: list[Callable[[], Any]], address: Address) -> None:  # the worker thread
    global _running
    fn = box.pop()
    try:
        outcome: tuple[bool, Any] = (True, fn())
    except Error as exc:
        outcome = (False, str(exc))
    except Exception:
        log.exception("a background task of the tray failed")
        outcome = (False, tr("Something went wrong; the details are in the log."))
    del fn  # the task still holds it: released on the GUI thread
    with _running_lock:
        _running -= 1
    address.send(outcome)


def run_task(fn: Callable[[], Any], parent: QObject | None = None) -> Task:
    return Task(fn, parent).start()


def pending() -> int:
    """Calls that have not returned yet (tests wait for 0 before they end)."""
    with _running_lock:
        return _running
