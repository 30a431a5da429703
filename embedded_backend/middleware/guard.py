"""The outermost guard: nothing that escapes the app kills the server or loses the request ID.

It also makes sure every request has a well-formed ``X-Request-ID`` before the
correlation-ID middleware runs, so the ID in an emergency 500 matches the logs.
"""

from __future__ import annotations

import logging
import re
import uuid

from asgi_correlation_id import correlation_id
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from embedded_backend.api.problems import PROBLEM_JSON, problem_body

log = logging.getLogger(__name__)

HEADER = b"x-request-id"
_VALID = re.compile(rb"[0-9a-f]{32}")


def _valid_uuid4_hex(raw: bytes) -> bool:
    if not _VALID.fullmatch(raw):
        try:
            return uuid.UUID(raw.decode("latin-1")).version == 4
        except ValueError:
            return False
    return uuid.UUID(hex=raw.decode()).version == 4


class GuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self._ensure_request_id(scope)
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        correlation_id.set(request_id)
        try:
            await self.app(scope, receive, guarded_send)
        except Exception as exc:
            log.error(
                "unhandled %s on %s %s",
                type(exc).__name__,
                scope.get("method"),
                scope.get("path"),
                exc_info=exc,
            )
            if not started:
                await self._send_500(send, request_id)

    @staticmethod
    def _ensure_request_id(scope: Scope) -> str:
        headers = [(k, v) for k, v in scope["headers"] if k != HEADER]
        given: list[bytes] = [v for k, v in scope["headers"] if k == HEADER]
        if given and _valid_uuid4_hex(given[0]):
            return given[0].decode("latin-1")
        request_id = uuid.uuid4().hex
        headers.append((HEADER, request_id.encode()))
        scope["headers"] = headers
        return request_id

    @staticmethod
    async def _send_500(send: Send, request_id: str) -> None:
        body = problem_body(
            500,
            "Internal server error",
            "the server could not complete this request; the error was "
            "logged with the request_id below",
            request_id=request_id,
        )
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", PROBLEM_JSON.encode()),
                        (b"content-length", str(len(body)).encode()),
                        (HEADER, request_id.encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
        except OSError:  # the client has gone; nothing left to tell it
            log.debug("client disconnected before the error response could be sent")
