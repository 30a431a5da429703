"""create_app: the OpenAPI docs exist only when enabled."""

from __future__ import annotations

from collections.abc import Callable

from embedded_backend.config import Settings
from tests.embedded_backend.api.support import assert_problem
from tests.helpers.live import LiveServer, live_server


def test_docs_are_off_by_default(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        for path in ("/docs", "/openapi.json", "/redoc", "/docs/oauth2-redirect"):
            assert_problem(c.get(path), 404)


def test_docs_when_enabled(make_settings: Callable[..., Settings]) -> None:
    with live_server(make_settings(docs_enabled=True)) as live, live.client(token=None) as c:
        docs = c.get("/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        spec = c.get("/openapi.json")
        assert spec.status_code == 200
        assert "/api/v1/admin/audit" in spec.json()["paths"]
        assert c.get("/redoc").status_code == 404  # only one docs page
