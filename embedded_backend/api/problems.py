"""RFC 9457 problem details (``application/problem+json``) for every error.

5xx bodies never carry exception text or tracebacks; the traceback goes to the log with
the request ID, and the body carries the request ID so support can find it.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from embedded_backend.db.circuit import CircuitOpenError, describe_error
from embedded_backend.db.retry import is_connection_failure, is_lock_conflict
from embedded_backend.db.trouble import locked_message
from embedded_backend.errors import (
    AuthenticationError,
    ConflictError,
    DatabaseRefused,
    DatabaseUnavailable,
    DomainError,
    InvalidDataError,
    MaintenanceError,
    NotFoundError,
    PermissionDeniedError,
)
from embedded_backend.schemas.problems import Problem, ValidationProblem

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_S = 5

_DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFoundError, 404),
    (ConflictError, 409),
    (InvalidDataError, 422),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
)


# -- documentation: how these answers appear in the OpenAPI document --------------------

PROBLEM_MODELS: tuple[type[Problem], ...] = (Problem, ValidationProblem)
_DESCRIPTIONS: dict[int, str] = {
    400: "Bad request: unknown Host, or a body that is not UTF-8",
    401: "Not authenticated: no bearer token, or an invalid or expired one",
    403: "Not allowed for this account (the operation is for administrators)",
    404: "Not found: nothing with this identifier",
    409: "Conflict: the change clashes with existing data or with the record's state",
    413: "Request body too large",
    422: "Invalid request: see 'errors'",
    429: "Too many requests: try again after Retry-After seconds",
    503: (
        "Unavailable: the database cannot be reached, a backup is being restored, or this "
        "service failed to start or was turned off; try again after Retry-After seconds"
    ),
}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}


def problem_response(status: int) -> dict[str, Any]:
    """The OpenAPI response object of a problem answer with this status. Its schema is a
    ``#/components/schemas`` reference: the document must carry :data:`PROBLEM_MODELS`
    (``api/openapi.py`` adds them)."""
    model = ValidationProblem if status == 422 else Problem
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS.get(status) or HTTPStatus(status).phrase,
        "content": {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
    }
    if status in (429, 503):
        response["headers"] = _RETRY_AFTER
    return response


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """For a route's ``responses=``: answers only that route gives (the shared ones are
    added to every operation by ``api/openapi.py``)."""
    return {status: problem_response(status) for status in statuses}


# -- answers ------------------------------------------------------------------------


def problem_body(
    status: int,
    title: str | None = None,
    detail: str | None = None,
    request_id: str | None = None,
    **extra: Any,
) -> bytes:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["request_id"] = request_id if request_id is not None else correlation_id.get()
    body.update(extra)
    return json.dumps(body, ensure_ascii=False, default=str).encode()


def problem(
    status: int,
    title: str | None = None,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    return Response(
        problem_body(status, title, detail, **extra),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code >= 500:
        detail = None
    return problem(exc.status_code, detail=detail, headers=dict(exc.headers or {}))


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg"), "type": err.get("type")}
        for err in exc.errors()
    ]
    return problem(
        422,
        "Invalid request",
        "the request does not match what this endpoint accepts; see 'errors'",
        errors=errors,
    )


def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    status = next((code for kind, code in _DOMAIN_STATUS if isinstance(exc, kind)), 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem(status, exc.title, str(exc), headers=headers)


def _database_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, IntegrityError):
        log.warning(
            "integrity error on %s %s: %s",
            request.method,
            request.url.path,
            type(exc.orig).__name__,
        )
        return problem(409, "Conflict", "the change conflicts with existing data")
    if isinstance(exc, DBAPIError) and is_lock_conflict(exc):
        return _locked(request)
    if is_connection_failure(exc):
        # The server went away (stopped, restarted, network): one line with the driver's
        # reason, not a traceback per request until the circuit opens; health says what to do.
        log.warning(
            "database unreachable on %s %s: %s",
            request.method,
            request.url.path,
            describe_error(exc),
        )
    else:
        log.error("database error on %s %s", request.method, request.url.path, exc_info=exc)
    detail = "the database cannot be reached right now; try again shortly"
    return problem(503, "Database unavailable", detail, headers={"Retry-After": str(RETRY_AFTER_S)})


def _locked(request: Request) -> Response:
    """The write lock stayed taken for the whole busy timeout (db/database.py)."""
    state = getattr(request.app.state, "vigia", None)
    path, waited = (state.db.sqlite_path, state.db.busy_s or 0.0) if state else (None, 0.0)
    log.warning(
        "database locked: %s %s gave up after %g s", request.method, request.url.path, waited
    )
    return problem(
        503,
        "Database busy",
        locked_message(path, waited),
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def _refused(request: Request, exc: Exception) -> Response:
    """The database answers but refuses changes; the message says why and what to do."""
    assert isinstance(exc, DatabaseRefused)
    log.warning("change refused on %s %s: %s", request.method, request.url.path, exc)
    return problem(503, exc.title, str(exc), headers={"Retry-After": str(exc.retry_after_s)})


def _unavailable(request: Request, exc: Exception) -> Response:
    if isinstance(exc, CircuitOpenError):  # failing fast: no traceback, one short line
        log.debug("database circuit open: refused %s %s", request.method, request.url.path)
        retry_after = exc.retry_after_header
    else:
        log.warning("database unavailable on %s %s", request.method, request.url.path)
        retry_after = str(RETRY_AFTER_S)
    return problem(
        503,
        "Database unavailable",
        "the database cannot be reached right now; try again shortly",
        headers={"Retry-After": retry_after},
    )


def _pool_exhausted(request: Request, exc: Exception) -> Response:
    """Every database connection stayed in use for ``db_pool_timeout_s``: too much at once."""
    log.warning(
        "no free database connection for %s %s (all in use); answered 503",
        request.method,
        request.url.path,
    )
    return problem(
        503,
        "Server busy",
        "the server is handling too many requests at once; try again shortly",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def _maintenance(request: Request, exc: Exception) -> Response:
    """A restore is running (db/gate.py): the message is plain words meant for the client."""
    assert isinstance(exc, MaintenanceError)
    log.info("maintenance: refused %s %s", request.method, request.url.path)
    return problem(
        503,
        "Maintenance",
        str(exc),
        headers={"Retry-After": str(exc.retry_after_s)},
        maintenance=True,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Known errors become problem+json here; anything else is caught by GuardMiddleware
    (which sits outside the request-ID middleware, so it can still set the header)."""
    app.add_exception_handler(HTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(DatabaseUnavailable, _unavailable)
    app.add_exception_handler(MaintenanceError, _maintenance)  # the more specific one wins
    app.add_exception_handler(DatabaseRefused, _refused)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeoutError, _pool_exhausted)
