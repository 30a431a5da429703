"""Refuse request bodies over ``max_body_bytes`` with 413 problem+json, without buffering.

- A declared ``Content-Length`` over the limit is answered at once; the app never runs
  and the body is never read (uvicorn discards what the client still sends).
- A body without a length (``Transfer-Encoding: chunked``) is counted as the app reads
  it; the chunk that crosses the limit raises :class:`BodyTooLarge`. It is a Starlette
  ``HTTPException``, so FastAPI lets it through its body parsing and the app's problem
  handler answers 413; if it escapes the app before any response, this middleware
  answers instead.

Starlette's own ``RequestBodyLimitMiddleware`` does the same counting, but answers in
plain text from inside its ``send`` wrapper, which cannot be made problem+json.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from embedded_backend.api.problems import problem


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=_detail(limit))


def _detail(limit: int) -> str:
    return f"the request body is larger than the {limit} bytes this server accepts"


def _content_length(scope: Scope) -> int | None:
    """The declared length; -1 when a body is coming without one (chunked); None if no body."""
    chunked = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses malformed lengths before we see them
        if name == b"transfer-encoding":
            chunked = True
    return -1 if chunked else None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is None or 0 <= length <= self.max_bytes:
            # No body, or a declared length within the limit that the server enforces.
            await self.app(scope, receive, send)
            return
        if length > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        await self._counted(scope, receive, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await problem(413, detail=_detail(self.max_bytes))(scope, receive, send)
