"""Follow a backup job of the admin API (``GET /api/v1/admin/backups/jobs/{id}``) until
it is done, without blocking the GUI: a timer asks every ``interval_ms``, each request
runs in a worker thread (:func:`desktop.ui.tasks.run_task`), one at a time.

The API has no way to cancel a job; :meth:`JobFollower.stop` only stops *watching* (the
job goes on in the server, and its outcome shows in the lists later).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from desktop.core.admin_client import AdminClient
from desktop.ui.tasks import run_task

log = logging.getLogger(__name__)

POLL_INTERVAL_MS = 500
MAX_MISSES = 5  # consecutive failed requests before giving up


class JobFollower(QObject):
    progressed = Signal(float, str)  # 0..1, the server's step text
    finished = Signal(object)  # the job's JSON, state "done"
    failed = Signal(str)  # the job failed, or it could not be followed: plain words

    def __init__(
        self,
        client: AdminClient,
        job: dict[str, Any],
        parent: QObject | None = None,
        interval_ms: int = POLL_INTERVAL_MS,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.job = job
        self.job_id = str(job["id"])
        self._asking = False
        self._stopped = False
        self._misses = 0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.on_timer_timeout)

    def start(self) -> JobFollower:
        self._report(self.job)
        if not self._stopped:
            self._timer.start()
        return self

    def stop(self) -> None:
        """Stop watching (the job itself goes on in the server)."""
        self._stopped = True
        self._timer.stop()

    @property
    def active(self) -> bool:
        return not self._stopped

    @Slot()
    def on_timer_timeout(self) -> None:
        if self._asking or self._stopped:
            return
        self._asking = True
        client, job_id = self.client, self.job_id
        task = run_task(lambda: client.backup_job(job_id), self)
        task.succeeded.connect(self.on_task_succeeded)
        task.failed.connect(self.on_task_failed)

    @Slot(object)
    def on_task_succeeded(self, job: dict[str, Any]) -> None:
        self._asking = False
        self._misses = 0
        if not self._stopped:
            self._report(job)

    @Slot(str)
    def on_task_failed(self, message: str) -> None:
        self._asking = False
        if self._stopped:
            return
        self._misses += 1
        if self._misses >= MAX_MISSES:
            self.stop()
            self.failed.emit(message)

    def _report(self, job: dict[str, Any]) -> None:
        self.job = job
        state = job.get("state")
        self.progressed.emit(float(job.get("progress") or 0.0), str(job.get("step") or ""))
        if state == "done":
            self.stop()
            self.finished.emit(job)
        elif state == "failed":
            self.stop()
            self.failed.emit(str(job.get("error") or self.tr("The operation failed.")))
