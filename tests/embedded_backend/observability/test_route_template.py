"""Route templates from a real FastAPI app (nested routers, root routes, 405, 404, cap)."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from embedded_backend.observability.route_template import OTHER, UNMATCHED, RouteTemplates


def _app(seen: list[str], templates: RouteTemplates) -> ASGIApp:
    items = APIRouter()

    @items.get("")
    def listing() -> list[int]:
        return []

    @items.get("/{item_id}")
    def one(item_id: int) -> int:
        return item_id

    @items.get("/{item_id}/lines/{line}")
    def line(item_id: int, line: int) -> int:
        return line

    app = FastAPI()
    app.include_router(items, prefix="/api/v1/items")

    @app.get("/top/{name}")
    def top(name: str) -> str:
        return name

    async def recorder(scope: Scope, receive: Receive, send: Send) -> None:
        await app(scope, receive, send)
        if scope["type"] == "http":
            seen.append(templates.resolve(scope))

    return recorder


def _templates(paths: list[tuple[str, str]], templates: RouteTemplates) -> list[str]:
    seen: list[str] = []

    async def go() -> None:
        transport = httpx.ASGITransport(app=_app(seen, templates))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            for method, path in paths:
                await c.request(method, path)

    asyncio.run(go())
    return seen


def test_templates_of_nested_and_top_level_routes() -> None:
    got = _templates(
        [
            ("GET", "/api/v1/items"),
            ("GET", "/api/v1/items/7"),
            ("GET", "/api/v1/items/abc"),  # 422, still the route
            ("GET", "/api/v1/items/7/lines/3"),
            ("POST", "/api/v1/items/7"),  # 405: the partial match names the route
            ("GET", "/top/anything"),
            ("GET", "/nothing/here"),
        ],
        RouteTemplates(),
    )
    assert got == [
        "/api/v1/items",
        "/api/v1/items/{item_id}",
        "/api/v1/items/{item_id}",
        "/api/v1/items/{item_id}/lines/{line}",
        "/api/v1/items/{item_id}",
        "/top/{name}",
        UNMATCHED,
    ]


def test_number_of_templates_is_capped() -> None:
    templates = RouteTemplates(limit=2)
    got = _templates(
        [("GET", "/api/v1/items"), ("GET", "/api/v1/items/1"), ("GET", "/top/x")], templates
    )
    assert got == ["/api/v1/items", "/api/v1/items/{item_id}", OTHER]
