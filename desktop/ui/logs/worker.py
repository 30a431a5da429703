"""The log viewer's worker: reads, filters and formats records off the GUI thread.

:class:`LogWorker` lives in its own :class:`QThread`; the viewer asks it through queued
signals and gets rows back the same way. Requests carry a *generation*: when the user
changes a filter the viewer starts a new generation, a search still running for an older
one stops at its next check (``should_stop``), and late answers of old generations are
dropped by the viewer.

:class:`WorkerThread` owns the thread. Closing the viewer never waits for a slow read or
a remote call: the thread is told to quit and is kept (with its worker) in a module-level
set until it has finished, so no Qt object is destroyed while its thread still runs.
"""

from __future__ import annotations

import atexit
import logging
from typing import ClassVar

from PySide6.QtCore import QObject, QThread, Signal, Slot

from desktop.core.errors import Error
from desktop.core.log_source import LogSource
from desktop.ui.logs.model import make_row
from embedded_backend.logs.reader import LogFilter

log = logging.getLogger(__name__)


class LogWorker(QObject):
    loaded = Signal(int, object, bool)  # generation, list[LogRow], truncated
    appended = Signal(int, object)  # generation, list[LogRow]
    failed = Signal(int, str)  # generation, plain words

    def __init__(self, source: LogSource) -> None:
        super().__init__()
        self.source = source
        self.latest = 0  # set by the GUI thread; read here to drop superseded work

    @Slot(int, object, int)
    def load(self, generation: int, filters: LogFilter, limit: int) -> None:
        if generation != self.latest:
            return
        try:
            result = self.source.load(filters, limit, lambda: generation != self.latest)
            rows = [make_row(record) for record in result.items]
        except Error as exc:
            self.failed.emit(generation, str(exc))
            return
        except OSError as exc:
            self.failed.emit(generation, self.tr("Cannot read the log: {0}").format(exc.strerror))
            return
        except Exception:
            log.exception("the log viewer could not read the log")
            self.failed.emit(generation, self.tr("Cannot read the log; see the tray's log."))
            return
        if generation == self.latest:
            self.loaded.emit(generation, rows, result.truncated)

    @Slot(int)
    def poll(self, generation: int) -> None:
        if generation != self.latest:
            self.appended.emit(generation, [])
            return
        try:
            rows = [make_row(record) for record in self.source.poll()]
        except Error as exc:
            self.failed.emit(generation, str(exc))
            return
        except OSError as exc:
            self.failed.emit(generation, self.tr("Cannot read the log: {0}").format(exc.strerror))
            return
        except Exception:
            log.exception("the log viewer could not follow the log")
            self.failed.emit(generation, self.tr("Cannot read the log; see the tray's log."))
            return
        self.appended.emit(generation, rows)


class WorkerThread(QObject):
    """A QThread running one worker object; :meth:`retire` never blocks the GUI.

    Every started thread is kept in a class-level set until it has finished, so neither
    the thread nor its worker is destroyed while it runs, whatever happens to the window
    (closed, deleted, or the application ending: :meth:`stop_all` runs at exit)."""

    _live: ClassVar[set[WorkerThread]] = set()

    def __init__(self, worker: QObject, name: str) -> None:
        super().__init__()  # lives in the GUI thread: its slot runs there
        self.worker = worker
        self.qthread = QThread()
        self.qthread.setObjectName(name)
        worker.moveToThread(self.qthread)
        self.qthread.finished.connect(self.on_thread_finished)
        WorkerThread._live.add(self)
        self.qthread.start()

    @Slot()
    def retire(self) -> None:
        """Ask the thread to stop once its current work is done (does not wait)."""
        self.qthread.quit()

    @Slot()
    def on_thread_finished(self) -> None:
        WorkerThread._live.discard(self)

    @classmethod
    def stop_all(cls, timeout_ms: int = 5000) -> bool:
        """Stop every worker thread and wait for them (application exit, tests).
        True when all have ended."""
        threads = list(cls._live)
        for w in threads:
            w.qthread.quit()
        ended = all(w.qthread.wait(timeout_ms) for w in threads)
        if ended:
            cls._live.difference_update(threads)
        return ended


atexit.register(WorkerThread.stop_all)
