"""Security headers on every response; ``Cache-Control: no-store`` on API answers.

The backend serves JSON to the tray, the desks and scripts, never pages to frame, so
every answer forbids sniffing and framing. API answers carry customer data and tokens
and must not be kept by any cache; a route that sets its own ``Cache-Control`` keeps it.
A header the app already set is never duplicated or overwritten.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALWAYS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
)
NO_STORE = (b"cache-control", b"no-store")
API_PREFIX = "/api/"
_API_EXTRA = (*ALWAYS, NO_STORE)
_OURS = frozenset(name for name, _ in _API_EXTRA)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = _API_EXTRA if scope["path"].startswith(API_PREFIX) else ALWAYS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {low for name, _ in headers if (low := name.lower()) in _OURS}
                headers += [h for h in extra if h[0] not in present] if present else extra
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
