from __future__ import annotations

import asyncio
import logging
import re

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from embedded_backend.middleware.guard import GuardMiddleware


async def _explodes(scope: Scope, receive: Receive, send: Send) -> None:
    secret = "db password is hunter2"
    raise RuntimeError(secret)


async def _explodes_mid_stream(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"partial", "more_body": True})
    raise RuntimeError("late failure")


async def _echo_request_id(scope: Scope, receive: Receive, send: Send) -> None:
    rid = dict(scope["headers"]).get(b"x-request-id", b"")
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": rid})


def _get(app: object, headers: dict[str, str] | None = None) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=GuardMiddleware(app), raise_app_exceptions=False)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await c.get("/x", headers=headers or {})

    return asyncio.run(go())


def test_unhandled_exception_becomes_a_500_problem(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        r = _get(_explodes)
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["request_id"] == r.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", body["request_id"])
    assert "hunter2" not in r.text and "RuntimeError" not in r.text
    assert any(rec.exc_info and "hunter2" in str(rec.exc_info[1]) for rec in caplog.records)


def test_failure_after_the_response_started_is_logged_not_doubled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/x", "headers": []}
    with caplog.at_level(logging.ERROR):
        asyncio.run(GuardMiddleware(_explodes_mid_stream)(scope, receive, send))  # type: ignore[arg-type]
    # No second response is started: the server closes the connection instead.
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert any("late failure" in str(rec.exc_info[1]) for rec in caplog.records if rec.exc_info)


def test_valid_request_id_is_kept_and_junk_is_replaced() -> None:
    given = "3f2b8c1e9d7a4b6c8e0f1a2b3c4d5e6f"
    assert _get(_echo_request_id, {"X-Request-ID": given}).text == given
    replaced = _get(_echo_request_id, {"X-Request-ID": "<script>"}).text
    assert replaced != "<script>" and re.fullmatch(r"[0-9a-f]{32}", replaced)
