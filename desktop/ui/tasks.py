"""Run a blocking call (an admin API request) off the GUI thread; get its outcome as a
Qt signal on the GUI thread::

    task = run_task(lambda: ctx.client.routers(), parent=self)
    task.succeeded.connect(self.on_routers_loaded)
    task.failed.connect(self.on_routers_failed)   # str: plain words for the user

``failed`` carries the message of a :class:`desktop.core.errors.Error` (written for
people); any other exception is logged with its traceback and reported in general words.
The task object lives until it has reported (it is parented to ``parent``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from desktop.core.errors import Error
from desktop.ui.i18n import tr

log = logging.getLogger(__name__)


class Task(QObject):
    succeeded = Signal(object)
    failed = Signal(str)
    finished = Signal()  # after either of the above

    _done = Signal(bool, object)  # from the worker thread

    def __init__(self, fn: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._thread = threading.Thread(target=self._work, name="vigia-ui-task", daemon=True)

    def start(self) -> Task:
        self._thread.start()
        return self

    def _work(self) -> None:
        try:
            outcome: tuple[bool, Any] = (True, self._fn())
        except Error as exc:
            outcome = (False, str(exc))
        except Exception:
            log.exception("a background task of the tray failed")
            outcome = (False, tr("Something went wrong; the details are in the log."))
        try:
            self._done.emit(*outcome)
        except RuntimeError:  # the window that asked was closed meanwhile
            log.debug("a background task finished after its window closed")

    @Slot(bool, object)
    def _on_done(self, ok: bool, value: Any) -> None:
        if ok:
            self.succeeded.emit(value)
        else:
            self.failed.emit(str(value))
        self.finished.emit()
        self.deleteLater()


def run_task(fn: Callable[[], Any], parent: QObject | None = None) -> Task:
    return Task(fn, parent).start()
