"""Long backup operations of the admin API as jobs in worker threads, with progress.

``POST /api/v1/admin/backups`` (create), ``.../{id}/verify`` and ``.../{id}/restore`` each
start a :class:`Job` and answer at once (202); ``GET .../jobs/{job_id}`` follows it. A job
runs in its own (non-daemon) thread, never on the event loop. Its JSON::

    {"id": "5f0c2a9e41d7", "kind": "restore", "backup_id": "20261123-170000-a1b2",
     "state": "running", "progress": 0.45, "step": "making the pre-restore backup",
     "steps": [{"step": "verifying the backup", "progress": 0.02, "at": "...Z"}, ...],
     "actor": "admin-token", "created_at": "...Z", "started_at": "...Z", "finished_at": null,
     "result": null, "error": null}

``state`` is ``queued`` → ``running`` → ``done`` | ``failed``; ``progress`` goes 0..1;
``error`` is a plain sentence for a person (never a traceback: an unexpected exception is
logged with its traceback and the job says to look at the log); ``result`` is the
operation's own JSON (the backup, the verification report, the restore's outcome).

One job per *lane* at a time: ``create`` and ``restore`` share a lane (they both take the
backup folder's lock; a second one is refused with :class:`JobConflict` naming the job
that runs, which the API answers with 409), ``verify`` has its own. The newest
:data:`KEEP` finished jobs are remembered (in memory: they are gone after a restart).

:meth:`JobManager.subscribe` registers a callback called (in the job's thread) on every
change of a job; the tests use it to hold a restore at a given step.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import anyio

from embedded_backend.errors import ConflictError, Error

log = logging.getLogger(__name__)

JobKind = Literal["create", "verify", "restore"]
JobState = Literal["queued", "running", "done", "failed"]
LANES: dict[JobKind, str] = {"create": "change", "restore": "change", "verify": "verify"}
KEEP = 20
STOP_WAIT_S = 120.0  # how long shutdown waits for a running job (a restore must not be cut)

Progress = Callable[[float, str], None]
Work = Callable[[Progress], dict[str, Any]]
Listener = Callable[["Job"], None]


def _utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Job:
    id: str
    kind: JobKind
    backup_id: str | None
    actor: str
    state: JobState = "queued"
    progress: float = 0.0
    step: str = "waiting to start"
    steps: list[dict[str, Any]] = field(default_factory=list)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: dict[str, Any] | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    def describe(self) -> str:
        what = f"{self.kind} of backup {self.backup_id}" if self.backup_id else self.kind
        return f"job {self.id} ({what}, {self.state}, started by {self.actor})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "backup_id": self.backup_id,
            "state": self.state,
            "progress": round(self.progress, 3),
            "step": self.step,
            "steps": list(self.steps),
            "actor": self.actor,
            "created_at": _utc(self.created_at),
            "started_at": _utc(self.started_at),
            "finished_at": _utc(self.finished_at),
            "result": self.result,
            "error": self.error,
        }


class JobConflict(ConflictError):
    """Another job of the same lane is queued or running."""

    def __init__(self, running: Job) -> None:
        self.running = running
        super().__init__(
            f"{running.describe()} is not finished; wait for it "
            f"(GET /api/v1/admin/backups/jobs/{running.id}) and try again"
        )


class JobManager:
    """The jobs of one app instance. Also a background service of the app: on shutdown it
    refuses new jobs and waits (bounded) for the running ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._listeners: list[Listener] = []
        self._closed = False

    # -- queries ---------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def recent(self) -> list[Job]:
        """Newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created_at, reverse=True)

    def running(self, kind: JobKind) -> Job | None:
        lane = LANES[kind]
        with self._lock:
            return self._running_in(lane)

    def _running_in(self, lane: str) -> Job | None:
        return next(
            (j for j in self._jobs.values() if LANES[j.kind] == lane and not j.finished), None
        )

    # -- listeners -------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(job)`` on every change of any job; returns the unsubscribe."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _notify(self, job: Job) -> None:
        for listener in list(self._listeners):
            try:
                listener(job)
            except Exception:  # an observer must not break the job
                log.exception("a job listener failed")

    # -- running ---------------------------------------------------------------------
    def submit(self, kind: JobKind, backup_id: str | None, actor: str, work: Work) -> Job:
        """Start ``work(progress)`` in a new thread; :class:`JobConflict` when the lane is
        busy, :class:`~embedded_backend.errors.ConflictError` while shutting down."""
        with self._lock:
            if self._closed:
                raise ConflictError("the backend is shutting down; try again after it restarts")
            busy = self._running_in(LANES[kind])
            if busy is not None:
                raise JobConflict(busy)
            job = Job(secrets.token_hex(6), kind, backup_id, actor)
            self._jobs[job.id] = job
            self._forget_old()
            thread = threading.Thread(
                target=self._run, args=(job, work), name=f"vigia-backup-{kind}-{job.id}"
            )
            self._threads[job.id] = thread
        log.info("%s queued", job.describe())
        thread.start()
        return job

    def _forget_old(self) -> None:
        finished = sorted(
            (j for j in self._jobs.values() if j.finished), key=lambda j: j.created_at
        )
        for job in finished[: max(0, len(finished) - KEEP + 1)]:
            del self._jobs[job.id]
            self._threads.pop(job.id, None)

    def _progress(self, job: Job, fraction: float, step: str) -> None:
        job.progress = min(max(fraction, job.progress), 1.0)
        job.step = step
        job.steps.append({"step": step, "progress": round(job.progress, 3), "at": _utc(
            datetime.now(UTC))})  # fmt: skip
        self._notify(job)

    def _run(self, job: Job, work: Work) -> None:
        job.started_at = datetime.now(UTC)
        job.state = "running"
        self._notify(job)
        try:
            result = work(lambda fraction, step: self._progress(job, fraction, step))
        except Error as exc:
            job.error = str(exc)
            job.state = "failed"
            log.warning("%s failed: %s", job.describe(), exc)
        except Exception:
            job.error = (
                "an unexpected error stopped the job; the backend log has the details "
                f"(search for job {job.id})"
            )
            job.state = "failed"
            log.exception("job %s (%s) crashed", job.id, job.kind)
        else:
            job.result = result
            self._progress(job, 1.0, "done")
            job.state = "done"
            log.info("%s done", job.describe())
        job.finished_at = datetime.now(UTC)
        self._notify(job)

    # -- background service (see AppState.services) -------------------------------------
    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        with self._lock:
            self._closed = True
            threads = [t for jid, t in self._threads.items() if not self._jobs[jid].finished]
        for thread in threads:
            log.warning("waiting for backup job thread %s to finish before stopping",
                        thread.name)  # fmt: skip
            await anyio.to_thread.run_sync(thread.join, STOP_WAIT_S)
