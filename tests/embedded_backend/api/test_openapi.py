"""The OpenAPI document describes the answers the backend really gives: problem+json for
errors (not FastAPI's ``HTTPValidationError``), health+json for the health routes.

tests/e2e/test_schemathesis.py checks the same against live traffic; these are the fast,
exact checks of the rules in embedded_backend/api/openapi.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from embedded_backend.api.openapi import problem_statuses
from embedded_backend.config import Settings
from tests.helpers.live import live_server

PROBLEM_JSON = "application/problem+json"
HEALTH_JSON = "application/health+json"
GATED = ("/api/v1/things",)


@pytest.fixture
def spec(make_settings: Callable[..., Settings]) -> dict[str, Any]:
    with live_server(make_settings(docs_enabled=True)) as live, live.client() as c:
        response = c.get("/openapi.json")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
    ]


def test_every_error_answer_is_problem_json(spec: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in json.dumps(spec)
    assert {"Problem", "ValidationProblem", "FieldError"} <= set(spec["components"]["schemas"])
    for method, path, op in _operations(spec):
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            content = response["content"]
            if list(content) == [HEALTH_JSON]:  # a health document's 503: "fail"
                continue
            assert PROBLEM_JSON in content, (method, path, status)
            expected = "ValidationProblem" if status == "422" else "Problem"
            ref = content[PROBLEM_JSON]["schema"]["$ref"]
            assert ref == f"#/components/schemas/{expected}", (method, path, status)


def test_error_statuses_follow_what_the_operation_takes(spec: dict[str, Any]) -> None:
    def statuses(method: str, path: str) -> set[str]:
        return set(spec["paths"][path][method]["responses"])

    assert statuses("patch", "/api/v1/products/{product_id}") == {
        "200", "400", "401", "403", "404", "409", "413", "422", "429", "503"
    }  # fmt: skip
    assert statuses("get", "/api/v1/products") == {
        "200", "400", "401", "403", "422", "429", "503"
    }  # fmt: skip
    # Login: no token needed, but its own 401 (wrong password) and 429 (throttled).
    assert statuses("post", "/api/v1/auth/token") == {
        "200", "400", "401", "413", "422", "429", "503"
    }  # fmt: skip
    assert statuses("get", "/livez") == {"200", "400"}


def test_health_routes_document_health_json(spec: dict[str, Any]) -> None:
    for path in ("/readyz", "/health", "/api/v1/monitoring/health"):
        responses = spec["paths"][path]["get"]["responses"]
        for status in ("200", "503"):
            schema = responses[status]["content"][HEALTH_JSON]["schema"]
            assert schema == {"$ref": "#/components/schemas/HealthDocument"}, (path, status)
        assert "application/json" not in responses["200"]["content"]
    # Behind the router gate, the monitoring health can also be a problem+json 503.
    monitoring_503 = spec["paths"]["/api/v1/monitoring/health"]["get"]["responses"]["503"]
    assert PROBLEM_JSON in monitoring_503["content"]
    assert PROBLEM_JSON not in spec["paths"]["/readyz"]["get"]["responses"]["503"]["content"]


@pytest.mark.parametrize(
    ("method", "path", "operation", "expected"),
    [
        ("get", "/livez", {}, {400}),
        ("get", "/elsewhere/{id}", {"parameters": [{"in": "path"}]}, {400, 404, 422}),
        ("post", "/api/v1/things/login", {"requestBody": {}}, {400, 413, 422, 503}),
        (
            "get",
            "/api/v1/things",
            {"security": [{"OAuth2PasswordBearer": []}], "parameters": [{"in": "query"}]},
            {400, 401, 403, 422, 429, 503},
        ),
        (
            "delete",
            "/api/v1/things/{id}",
            {"security": [{"OAuth2PasswordBearer": []}], "parameters": [{"in": "path"}]},
            {400, 401, 403, 404, 409, 422, 429, 503},
        ),
        ("get", "/api/v1/thingsmore", {}, {400}),  # not under the prefix, only beside it
    ],
)
def test_problem_statuses(
    method: str, path: str, operation: dict[str, Any], expected: set[int]
) -> None:
    assert problem_statuses(path, method, operation, GATED) == expected
