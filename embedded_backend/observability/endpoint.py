"""``GET /metrics``: the app's own registry in the Prometheus text format (or OpenMetrics
when the scraper asks for it in ``Accept``).

Who may scrape: loopback clients (a Prometheus on the same machine, the tray) and anyone
presenting the admin token (``authorization: {credentials: <token>}`` in a LAN
Prometheus's scrape config) - the same rule as the full ``/health`` document.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from embedded_backend.api.problems import problem
from embedded_backend.health.routes import _has_admin_token, _is_loopback
from embedded_backend.observability.hub import Observability

router = APIRouter(tags=["monitoring"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    if not (_is_loopback(request) or _has_admin_token(request, request.app.state.vigia)):
        return problem(
            401,
            "Not authenticated",
            "metrics are served to this machine, or with 'Authorization: Bearer <admin token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    hub: Observability = request.app.state.observability
    body, content_type = hub.exposition(request.headers.get("accept", ""))
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})
