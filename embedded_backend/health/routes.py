"""/livez, /readyz and /health. Full checks only for loopback clients or the admin token."""

from __future__ import annotations

import hmac
import ipaddress
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from embedded_backend.health.service import HealthService
from embedded_backend.schemas.health import HealthDocument, Liveness
from embedded_backend.state import AppState

HEALTH_JSON = "application/health+json"


class HealthResponse(JSONResponse):
    """Only for the OpenAPI document: the health routes answer ``application/health+json``."""

    media_type = HEALTH_JSON


# For health routes (with response_class=HealthResponse): 200 pass/warn, 503 fail.
HEALTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": HealthDocument, "description": "pass or warn"},
    503: {
        "model": HealthDocument,
        "description": "fail, or still starting up, or shutting down",
        "headers": {"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}},
    },
}

router = APIRouter(include_in_schema=True, tags=["health"])


def _is_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _has_admin_token(request: Request, state: AppState) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.encode(), state.secrets.admin_token.encode()
    )


@router.get(
    "/livez",
    response_class=HealthResponse,
    responses={200: {"model": Liveness, "description": "the event loop answers"}},
)
async def livez() -> Response:
    return Response(b'{"status":"pass"}', media_type=HEALTH_JSON)


async def _health(request: Request) -> Response:
    state: AppState = request.app.state.vigia
    service: HealthService = request.app.state.health
    doc = await service.report()
    code = 503 if doc["status"] == "fail" else 200
    if not (_is_loopback(request) or _has_admin_token(request, state)):
        doc = {k: doc[k] for k in ("status", "version", "serviceId")}
    headers = {"Cache-Control": "no-store"}
    if code == 503:
        headers["Retry-After"] = "5"
    return Response(json.dumps(doc), status_code=code, media_type=HEALTH_JSON, headers=headers)


@router.get("/readyz", response_class=HealthResponse, responses=HEALTH_RESPONSES)
async def readyz(request: Request) -> Response:
    return await _health(request)


@router.get("/health", response_class=HealthResponse, responses=HEALTH_RESPONSES)
async def health(request: Request) -> Response:
    return await _health(request)
