"""The OpenAPI document, with every error answer documented as ``application/problem+json``.

FastAPI documents what a route returns on success, plus a 422 whose shape
(``HTTPValidationError`` as ``application/json``) is not what this backend sends. Most
error answers come from shared layers - authentication, the router gate, the database,
the body limit, the rate limit, the problem handlers - so they are added here, to every
operation at once, from what the operation itself shows in the document:

=====  ==========================================================================
400    always: a Host header the server does not answer to (``trusted_hosts``), or a
       request body that cannot be read as text (not UTF-8)
401    it needs a bearer token (``security``)
403    it needs a bearer token: an administrator's, for the admin-only operations
404    it has a path parameter (the record, router, metric or alert may not exist)
409    it needs a bearer token and changes data (POST, PUT, PATCH, DELETE)
413    it takes a request body (``max_body_bytes``)
422    it takes parameters or a body (replaces FastAPI's ``HTTPValidationError``)
429    it needs a bearer token (``rate_limit_per_minute``)
503    it is served by a router of the registry: the gate answers 503 while that router
       is failed or turned off, and the database may be unreachable
=====  ==========================================================================

A route that gives an answer of its own (the login's 401 and 429) declares it with
``responses=problem_responses(...)``. What a route declares is kept; a problem+json
alternative is added to it when a shared layer can give that status too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from pydantic.json_schema import models_json_schema

from embedded_backend.api.problems import PROBLEM_JSON, PROBLEM_MODELS, problem_response

_REF_TEMPLATE = "#/components/schemas/{model}"
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_WRITES = frozenset({"post", "put", "patch", "delete"})
# What FastAPI adds on its own for 422, and the components only that uses.
_FASTAPI_422 = "#/components/schemas/HTTPValidationError"
_FASTAPI_422_SCHEMAS = ("HTTPValidationError", "ValidationError")


class VigiaAPI(FastAPI):
    """FastAPI with the error answers documented (built once, on first request)."""

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is not None:
            return self.openapi_schema
        document = super().openapi()
        prefixes = [status.spec.prefix for status in self.state.vigia.routers.statuses]
        document_problems(document, prefixes)
        return document


def document_problems(document: dict[str, Any], gated_prefixes: Iterable[str]) -> None:
    """Add the problem answers to every operation of ``document`` (in place)."""
    gated = tuple(gated_prefixes)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            if _is_fastapi_422(responses.get("422")):
                del responses["422"]
            for status in sorted(problem_statuses(path, method, operation, gated)):
                _add_problem(responses, status)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(_problem_schemas())
    _drop_unused(document, _FASTAPI_422_SCHEMAS)


def problem_statuses(
    path: str, method: str, operation: dict[str, Any], gated_prefixes: tuple[str, ...]
) -> set[int]:
    """The problem statuses an operation can answer (the table above)."""
    parameters = operation.get("parameters") or []
    has_body = "requestBody" in operation
    secured = bool(operation.get("security"))
    statuses = {400}
    if secured:
        statuses |= {401, 403, 429}
        if method in _WRITES:
            statuses.add(409)
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    if has_body:
        statuses.add(413)
    if parameters or has_body:
        statuses.add(422)
    if any(path == prefix or path.startswith(prefix + "/") for prefix in gated_prefixes):
        statuses.add(503)
    return statuses


def _add_problem(responses: dict[str, Any], status: int) -> None:
    """Document the problem answer; a route's own declaration keeps its description and
    its other media types (``/api/v1/monitoring/health``'s 503 is health+json too)."""
    documented = problem_response(status)
    declared = responses.get(str(status))
    if declared is None:
        responses[str(status)] = documented
    else:
        declared.setdefault("content", {}).setdefault(
            PROBLEM_JSON, documented["content"][PROBLEM_JSON]
        )


def _is_fastapi_422(response: Any) -> bool:
    return isinstance(response, dict) and _FASTAPI_422 in json.dumps(response)


def _problem_schemas() -> dict[str, Any]:
    _, top = models_json_schema(
        [(model, "serialization") for model in PROBLEM_MODELS], ref_template=_REF_TEMPLATE
    )
    schemas: dict[str, Any] = top.get("$defs", {})
    return schemas


def _drop_unused(document: dict[str, Any], names: Iterable[str]) -> None:
    schemas: dict[str, Any] = document["components"]["schemas"]
    for name in names:
        if name not in schemas:
            continue
        others = {k: v for k, v in document.items() if k != "components"}
        others["schemas"] = {k: v for k, v in schemas.items() if k != name}
        if f'"#/components/schemas/{name}"' not in json.dumps(others):
            del schemas[name]
