"""/api/v1/admin/backups: list, create, verify and restore backups (administrators only).

- ``GET ""``: ``{"items": [...], "total": n, "folder": "..."}``; the items are the objects
  of ``vigia backup list --json`` (complete backups newest first, then unusable ones with
  ``status: "bad"`` and their ``problem``).
- ``POST ""`` (make a backup), ``POST /{id}/verify`` (body ``{"deep": false}``, optional),
  ``POST /{id}/restore`` (body ``{"confirm": "<the same id>"}``, so a stray or replayed
  request cannot restore): 202 with the job (see backup/jobs.py) and ``Location`` to
  ``GET /jobs/{job_id}``, which reports state, progress 0..1, the current step, and the
  result or a plain-words error. ``GET /jobs`` lists the recent jobs.
- One create-or-restore job at a time (and one verify): another one answers 409 with the
  running job under ``job``. A restore that cannot be done (unknown backup 404, newer
  schema or another kind of database 409) is refused before a job starts.

The work runs in worker threads (backup/operations.py); each action is logged and
audited with the administrator's name.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.responses import Response

from embedded_backend.api.deps import AdminDep, StateDep
from embedded_backend.api.problems import problem, problem_responses
from embedded_backend.backup import operations
from embedded_backend.backup.errors import BackupNotFound, RestoreRefused
from embedded_backend.backup.folder import ID_PATTERN, backup_folder
from embedded_backend.backup.jobs import Job, JobConflict, JobKind, Work
from embedded_backend.backup.listing import Backup, list_backups
from embedded_backend.backup.restore import check_restorable
from embedded_backend.errors import ConflictError, InvalidDataError, NotFoundError
from embedded_backend.principals import Principal
from embedded_backend.state import AppState

router = APIRouter(tags=["backups"])

BackupId = Annotated[
    str, Path(pattern=ID_PATTERN.pattern, description="backup id, as the list shows it")
]
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$", description="job id")]
JOB_RESPONSES = problem_responses(409)


class VerifyRequest(BaseModel):
    deep: bool = Field(
        default=False, description="PostgreSQL/MariaDB: also restore into a scratch database"
    )


class RestoreRequest(BaseModel):
    confirm: str = Field(
        max_length=64, description="the backup id again: a restore replaces the database"
    )


def _backup(state: AppState, backup_id: str) -> Backup:
    try:
        return list_backups(backup_folder(state.settings)).get(backup_id)
    except BackupNotFound as exc:
        raise NotFoundError(str(exc)) from None


def _started(request: Request, state: AppState, kind: JobKind, backup_id: str | None,
             admin: Principal, work: Work) -> Response:  # fmt: skip
    try:
        job = state.backup_jobs.submit(kind, backup_id, admin.name, work)
    except JobConflict as exc:
        return problem(409, "Conflict", str(exc), job=exc.running.as_dict())
    location = str(request.url_for("get_backup_job", job_id=job.id))
    return JSONResponse(
        job.as_dict(), status_code=status.HTTP_202_ACCEPTED, headers={"Location": location}
    )


@router.get("")
def list_all(state: StateDep, _: AdminDep) -> dict[str, Any]:
    listing = list_backups(backup_folder(state.settings))
    items = [b.as_dict() for b in listing.backups] + [p.as_dict() for p in listing.bad]
    return {"items": items, "total": len(items), "folder": str(listing.folder)}


@router.post("", status_code=status.HTTP_202_ACCEPTED, responses=JOB_RESPONSES)
def create(request: Request, state: StateDep, admin: AdminDep) -> Response:
    settings, db, actor = state.settings, state.db, admin.name
    return _started(
        request, state, "create", None, admin,
        lambda progress: operations.create(settings, db, actor, progress),
    )  # fmt: skip


@router.post("/{backup_id}/verify", status_code=status.HTTP_202_ACCEPTED, responses=JOB_RESPONSES)
def verify(
    backup_id: BackupId,
    request: Request,
    state: StateDep,
    admin: AdminDep,
    body: Annotated[VerifyRequest | None, Body()] = None,
) -> Response:
    deep = body.deep if body is not None else False
    bad = list_backups(backup_folder(state.settings)).find_bad(backup_id)
    if bad is None:
        _backup(state, backup_id)  # 404 when there is no such backup at all
    settings, db, actor = state.settings, state.db, admin.name
    return _started(
        request, state, "verify", backup_id, admin,
        lambda progress: operations.verify(settings, db, actor, backup_id, deep, progress),
    )  # fmt: skip


@router.post("/{backup_id}/restore", status_code=status.HTTP_202_ACCEPTED, responses=JOB_RESPONSES)
def restore(
    backup_id: BackupId,
    body: RestoreRequest,
    request: Request,
    state: StateDep,
    admin: AdminDep,
) -> Response:
    if body.confirm != backup_id:
        raise InvalidDataError(
            f'to restore, send {{"confirm": "{backup_id}"}}: a restore replaces the whole '
            "database, so the backup id must be repeated in the body"
        )
    backup = _backup(state, backup_id)
    try:
        check_restorable(state.settings, backup)
    except RestoreRefused as exc:
        raise ConflictError(str(exc)) from None
    settings, db, actor = state.settings, state.db, admin.name

    def forget_cached() -> None:  # nothing from the replaced database may be served
        state.cache.clear()
        state.principals.forget_all()

    return _started(
        request, state, "restore", backup_id, admin,
        lambda progress: operations.restore(
            settings, db, actor, backup_id, progress, forget_cached
        ),
    )  # fmt: skip


@router.get("/jobs")
def list_jobs(state: StateDep, _: AdminDep) -> dict[str, Any]:
    jobs = [job.as_dict() for job in state.backup_jobs.recent()]
    return {"items": jobs, "total": len(jobs)}


@router.get("/jobs/{job_id}", name="get_backup_job")
def get_job(job_id: JobId, state: StateDep, _: AdminDep) -> dict[str, Any]:
    job: Job | None = state.backup_jobs.get(job_id)
    if job is None:
        raise NotFoundError(
            "there is no backup job with this id (jobs are forgotten when the backend "
            "restarts); see /api/v1/admin/backups/jobs"
        )
    return job.as_dict()
