"""Each protection layer on its own around a plain ASGI app, outside FastAPI and the rest
of the stack: the cheap paths (a known Host, a body within the limit, headers the app
already set) give the same answers as the first time through."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from embedded_backend.middleware.body_limit import BodyLimitMiddleware
from embedded_backend.middleware.gzip import GZipIfAcceptedMiddleware
from embedded_backend.middleware.security_headers import SecurityHeadersMiddleware
from embedded_backend.middleware.trusted_host import TrustedHostMiddleware

BIG = b"0123456789" * 300


def _app(headers: list[tuple[bytes, bytes]] | None = None, body: bytes = b"ok") -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        received = b""
        while True:
            message = await receive()
            received += message.get("body", b"")
            if not message.get("more_body"):
                break
        answer = body if scope["path"] != "/echo" else received
        await send({"type": "http.response.start", "status": 200, "headers": headers or []})
        await send({"type": "http.response.body", "body": answer})

    return app


def _request(app: ASGIApp, method: str, path: str, **kwargs: object) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            return await c.request(method, path, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(go())


def test_security_headers_never_duplicate_what_the_app_set_in_any_case() -> None:
    app = SecurityHeadersMiddleware(_app([(b"X-Frame-Options", b"SAMEORIGIN")]))
    api = _request(app, "GET", "/api/v1/things")
    assert api.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert api.headers["x-content-type-options"] == "nosniff"
    assert api.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert api.headers.get_list("cache-control") == ["no-store"]
    other = _request(SecurityHeadersMiddleware(_app()), "GET", "/livez")
    assert other.headers["x-frame-options"] == "DENY"
    assert "cache-control" not in other.headers


def test_trusted_host_judges_once_per_host_and_keeps_answering_the_same() -> None:
    app = TrustedHostMiddleware(_app(), allowed_hosts=["127.0.0.1", "localhost"])
    for _ in range(3):
        assert _request(app, "GET", "/x").status_code == 200
        refused = _request(app, "GET", "/x", headers={"Host": "evil.example"})
        assert refused.status_code == 400
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert app._verdicts == {b"127.0.0.1": True, b"evil.example": False}


def test_body_limit_declared_chunked_and_within() -> None:
    app = BodyLimitMiddleware(_app(), max_bytes=100)
    assert _request(app, "POST", "/echo", content=b"x" * 100).text == "x" * 100
    assert _request(app, "POST", "/echo", content=b"x" * 101).status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no length: sent chunked
        yield b"x" * 60
        yield b"x" * 60

    assert _request(app, "POST", "/echo", content=chunks()).status_code == 413


def test_gzip_only_for_clients_that_accept_it() -> None:
    app = GZipIfAcceptedMiddleware(_app(body=BIG), minimum_size=1000, compresslevel=6)
    plain = _request(app, "GET", "/x", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == BIG

    async def raw() -> bytes:
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c,
            c.stream("GET", "/x", headers={"Accept-Encoding": "gzip"}) as r,
        ):
            assert r.headers["content-encoding"] == "gzip"
            return b"".join([chunk async for chunk in r.aiter_raw()])

    assert gzip.decompress(asyncio.run(raw())) == BIG
