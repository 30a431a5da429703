"""Security headers on every answer of a real server; no-store on API answers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from embedded_backend.config import Settings
from tests.helpers.live import LiveServer, live_server
from tests.helpers.router_modules import router_modules

ALWAYS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
}

CACHEABLE_ROUTER = """
from fastapi import APIRouter, Response

router = APIRouter()


@router.get("/price-list")
def price_list(response: Response) -> dict[str, str]:
    response.headers["Cache-Control"] = "private, max-age=60"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return {"ok": "yes"}
"""


def _assert_always(r: httpx.Response) -> None:
    for name, value in ALWAYS.items():
        assert r.headers.get_list(name) == [value], (r.request.url, name, r.headers)
    assert r.headers["x-request-id"]


@pytest.mark.parametrize(
    ("path", "token", "status"),
    [
        ("/api/v1/products", "admin", 200),
        ("/api/v1/products", None, 401),
        ("/api/v1/products/999999", "admin", 404),
        ("/api/v1/no-such-thing", "admin", 404),
    ],
)
def test_api_answers_carry_all_headers_and_no_store(
    sqlite_server: LiveServer, path: str, token: str | None, status: int
) -> None:
    with sqlite_server.client() if token else sqlite_server.client(token=None) as c:
        r = c.get(path)
    assert r.status_code == status
    _assert_always(r)
    assert r.headers.get_list("cache-control") == ["no-store"]


def test_non_api_answers_carry_the_headers(sqlite_server: LiveServer) -> None:
    with sqlite_server.client(token=None) as c:
        for path in ("/livez", "/health", "/readyz", "/docs", "/nowhere"):
            r = c.get(path)
            _assert_always(r)
        # Health sets its own no-store; it is not doubled.
        assert c.get("/health").headers.get_list("cache-control") == ["no-store"]
        assert "cache-control" not in c.get("/livez").headers


def test_a_route_keeps_its_own_cache_control_and_framing(
    make_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = router_modules(tmp_path, monkeypatch).write(CACHEABLE_ROUTER)
    settings = make_settings(routers=f"catalog={module}:router")
    with live_server(settings) as live, live.client() as c:
        r = c.get("/api/v1/catalog/price-list")
        assert r.status_code == 200, r.text
        assert r.headers.get_list("cache-control") == ["private, max-age=60"]
        assert r.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
        assert r.headers["x-content-type-options"] == "nosniff"
