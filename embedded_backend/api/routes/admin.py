"""/api/v1/admin: routers on/off, restart, audit log, logs (administrators only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from embedded_backend.api.deps import AdminDep, DbDep, PagingDep, SessionDep, StateDep
from embedded_backend.api.routes.logs import router as logs_router
from embedded_backend.erp import audit
from embedded_backend.errors import ConflictError, NotFoundError

router = APIRouter(tags=["admin"])


@router.get("/routers")
def list_routers(state: StateDep, _: AdminDep) -> dict[str, Any]:
    return {"items": [s.as_dict() for s in state.routers.statuses]}


def _toggle(
    state: StateDep, db: DbDep, admin: AdminDep, name: str, enabled: bool
) -> dict[str, Any]:
    current = state.routers.get(name)
    if current is None:
        raise NotFoundError(f"there is no router named '{name}'")
    if name == "admin" and not enabled:
        raise ConflictError("the admin router cannot be disabled (it is how you re-enable it)")
    result = state.routers.set_enabled(name, enabled, admin.name).as_dict()
    db.write(
        lambda s: audit.record(
            s, admin.name, "router.enable" if enabled else "router.disable", name
        )
    )
    return result


@router.post("/routers/{name}/disable")
def disable_router(name: str, state: StateDep, db: DbDep, admin: AdminDep) -> dict[str, Any]:
    return _toggle(state, db, admin, name, enabled=False)


@router.post("/routers/{name}/enable")
def enable_router(name: str, state: StateDep, db: DbDep, admin: AdminDep) -> dict[str, Any]:
    return _toggle(state, db, admin, name, enabled=True)


@router.post("/restart", status_code=status.HTTP_202_ACCEPTED)
def restart(state: StateDep, db: DbDep, admin: AdminDep) -> dict[str, str]:
    if state.request_restart is None:
        raise ConflictError("this backend was not started by a supervisor that can restart it")
    # Recorded first: once the restart begins, this app's database is being closed.
    db.write(lambda s: audit.record(s, admin.name, "backend.restart"))
    if not state.request_restart(admin.name):
        raise ConflictError("the supervisor refused the restart; see its log")
    return {"status": "restarting"}


@router.get("/audit")
def list_audit(
    session: SessionDep,
    paging: PagingDep,
    _: AdminDep,
    actor: Annotated[str | None, Query(max_length=64, description="exact actor")] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="exact action, or a prefix ending in *")
    ] = None,
    since: Annotated[datetime | None, Query(description="from this time (inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="before this time")] = None,
) -> dict[str, Any]:
    where = audit.AuditFilter(actor=actor, action=action, since=since, until=until)
    rows, total = audit.search(session, where, paging.limit, paging.offset)
    return {
        "items": [
            {
                "id": r.id,
                "at": r.at.isoformat(),
                "actor": r.actor,
                "action": r.action,
                "target": r.target,
                "detail": r.detail,
                "request_id": r.request_id,
            }
            for r in rows
        ],
        "total": total,
    }


# The log tail lives in its own module (api/routes/logs.py), under this prefix.
router.include_router(logs_router)
