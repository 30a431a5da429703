"""The outermost guard: nothing that escapes the app kills the server or loses the request ID.

It also makes sure every request has a well-formed ``X-Request-ID`` before the
correlation-ID middleware runs, so the ID in an emergency 500 matches the logs.

It runs on every request, so the common cases are kept cheap: one scan of the request
headers, no copy of them when the client sent a valid ID, and a new ID made straight from
128 random bits (the same form as ``uuid.uuid4().hex``, for about an eighth of its cost).
"""

from __future__ import annotations

import logging
import random
import re
import uuid

from asgi_correlation_id import correlation_id
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from embedded_backend.api.problems import PROBLEM_JSON, problem_body

log = logging.getLogger(__name__)

HEADER = b"x-request-id"
_VALID = re.compile(rb"[0-9a-f]{32}")
_VARIANT_RFC_4122 = frozenset(b"89ab")  # the 17th hex digit of an RFC 4122 UUID


def _valid_uuid4_hex(raw: bytes) -> bool:
    if _VALID.fullmatch(raw):
        # What ``uuid.UUID(hex=raw).version == 4`` checks, without building the UUID.
        return raw[12] == ord("4") and raw[16] in _VARIANT_RFC_4122
    try:
        return uuid.UUID(raw.decode("latin-1")).version == 4
    except ValueError:
        return False


_VERSION_VARIANT_MASK = ~(0xF000 << 64 | 0xC000 << 48)
_VERSION_4_RFC_4122 = 0x4000 << 64 | 0x8000 << 48


def new_request_id() -> str:
    """A random UUID4 as 32 lowercase hex digits, like ``uuid.uuid4().hex``.

    The bits come from ``random``, not ``os.urandom``: a request ID only ties log lines
    together and is no secret (clients may send their own), and the system call for
    urandom costs more than everything else this function does.
    """
    bits = random.getrandbits(128) & _VERSION_VARIANT_MASK | _VERSION_4_RFC_4122
    return bits.to_bytes(16).hex()


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
        """The client's ID if it is a UUID4; else a new one, which replaces it in the scope."""
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        for name, value in headers:
            if name == HEADER:
                if _valid_uuid4_hex(value):
                    return value.decode("latin-1")
                headers = [(k, v) for k, v in headers if k != HEADER]
                break
        request_id = new_request_id()
        scope["headers"] = [*headers, (HEADER, request_id.encode())]
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
