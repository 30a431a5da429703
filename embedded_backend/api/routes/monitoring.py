"""/api/v1/monitoring: health, score, metrics and their history, performance, pool, system.

Who may call: ``health`` answers any authenticated user (staff dashboards show whether
the ERP is up; an authenticated user sees what a loopback client of ``/health`` sees);
everything else needs an administrator (admin token or an admin user), because it shows
the database URL, router errors and the machine's resources.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from embedded_backend.api.deps import AdminDep, CurrentUser, ObservabilityDep
from embedded_backend.api.routes.alerts import router as alerts_router
from embedded_backend.api.routes.cache import router as cache_router
from embedded_backend.errors import NotFoundError
from embedded_backend.health.routes import HEALTH_JSON, HEALTH_RESPONSES, HealthResponse
from embedded_backend.observability.hub import KEY_METRICS

router = APIRouter(tags=["monitoring"])


def _health_response(doc: dict[str, Any]) -> Response:
    """The /health status rule: 503 when the service fails, 200 for pass and warn."""
    code = 503 if doc["status"] == "fail" else 200
    headers = {"Cache-Control": "no-store"}
    if code == 503:
        headers["Retry-After"] = "5"
    return Response(json.dumps(doc), status_code=code, media_type=HEALTH_JSON, headers=headers)


@router.get("/health", response_class=HealthResponse, responses=HEALTH_RESPONSES)
async def health(hub: ObservabilityDep, _: CurrentUser) -> Response:
    return _health_response(await hub.health.report())


@router.get("/health/detailed", response_class=HealthResponse, responses=HEALTH_RESPONSES)
async def health_detailed(hub: ObservabilityDep, _: AdminDep) -> Response:
    return _health_response(await hub.detailed_health())


@router.get("/metrics")
async def metrics(hub: ObservabilityDep, _: AdminDep) -> dict[str, Any]:
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "sample_interval_s": hub.sampler.interval_s,
        "values": await hub.current_values(),
    }


@router.get("/metrics/{name}")
async def metric_history(
    name: str,
    hub: ObservabilityDep,
    _: AdminDep,
    limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> dict[str, Any]:
    if name not in KEY_METRICS:
        raise NotFoundError(
            f"there is no metric named '{name[:80]}'; see /api/v1/monitoring/metrics for the names"
        )
    return {
        "name": name,
        "sample_interval_s": hub.sampler.interval_s,
        "max_samples": hub.history.size,
        "samples": hub.history.get(name, limit) or [],
    }


@router.get("/performance")
async def performance(hub: ObservabilityDep, _: AdminDep) -> dict[str, Any]:
    return hub.performance_report()


@router.get("/system/info")
def system_info(hub: ObservabilityDep, _: AdminDep) -> dict[str, Any]:
    return hub.system_info()  # sync: psutil may touch /proc; keep it off the event loop


@router.get("/pool")
async def pool(hub: ObservabilityDep, _: AdminDep) -> dict[str, Any]:
    return hub.pool()


# Alerts live in their own module (api/routes/alerts.py), under this prefix.
router.include_router(alerts_router)
# The cache's status and clear live in api/routes/cache.py, under this prefix.
router.include_router(cache_router)
