"""/api/v1/monitoring/alerts (mounted by ``monitoring``): active and recent alerts, and
the resolve call. Administrators only, like the rest of the monitoring API's details."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from embedded_backend.alerts.manager import AlertManager, AlreadyResolved, UnknownAlert
from embedded_backend.api.deps import AdminDep, DbDep
from embedded_backend.erp import audit
from embedded_backend.errors import ConflictError, NotFoundError

router = APIRouter(tags=["monitoring"])


async def get_alerts(request: Request) -> AlertManager:
    manager: AlertManager = request.app.state.alerts
    return manager


AlertsDep = Annotated[AlertManager, Depends(get_alerts)]
AlertId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/alerts")
async def list_alerts(alerts: AlertsDep, _: AdminDep) -> dict[str, list[dict[str, Any]]]:
    return alerts.report()


@router.post("/alerts/{alert_id}/resolve")
def resolve_alert(
    alert_id: AlertId, alerts: AlertsDep, db: DbDep, admin: AdminDep
) -> dict[str, Any]:
    try:
        alert = alerts.resolve(alert_id, admin.name)
    except UnknownAlert:
        raise NotFoundError(
            "there is no alert with this id; see /api/v1/monitoring/alerts"
        ) from None
    except AlreadyResolved as exc:
        raise ConflictError(f"this alert was already resolved by {exc.alert.resolved_by}") from None
    detail = {"rule": alert.rule, "subject": alert.subject, "severity": alert.severity}
    db.write(lambda s: audit.record(s, admin.name, "alert.resolve", alert.id, detail))
    return alert.as_dict()
