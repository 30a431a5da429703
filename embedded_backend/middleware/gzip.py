"""GZip for clients that ask for it, and nothing at all for those that do not.

Starlette's ``GZipMiddleware`` wraps every response in a responder object, even when the
client sent no ``Accept-Encoding: gzip`` and nothing will be compressed. This pure-ASGI
front checks the header first and only then hands the request to it.
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send


class GZipIfAcceptedMiddleware:
    def __init__(self, app: ASGIApp, minimum_size: int, compresslevel: int) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=compresslevel)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"accept-encoding" and b"gzip" in value.lower():
                    await self.gzip(scope, receive, send)
                    return
        await self.app(scope, receive, send)
