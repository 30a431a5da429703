"""Requests per minute per caller, keyed by who calls, not by IP.

Every client on the office PC is 127.0.0.1, so an IP key would make the tray, a script
and a clerk's browser share one budget. The key is the bearer token's owner instead,
found without touching the database:

- the admin token (constant-time compare) -> ``admin-token``;
- a user's JWT -> ``user:<id>``: from the principal cache the auth dependency fills, else
  by verifying the JWT's signature with the app's key (tens of microseconds);
- no valid token -> ``anon:<client address>``: such requests only ever get 401 or the
  API docs, so one budget per address is enough to stop a loop from flooding the log.

Never limited: health and metrics (monitors must see an overloaded backend) and
``POST /api/v1/auth/token``, which has its own limit on failed logins per username (see
``api/routes/auth.py``); counting logins per address would let one bad client at
127.0.0.1 lock everyone on that PC out.

A refused request gets 429 problem+json with ``Retry-After`` (seconds until the oldest
counted request leaves the one-minute window); it is not counted.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from embedded_backend.api.problems import problem
from embedded_backend.principals import PrincipalCache
from embedded_backend.throttle import MovingWindow, retry_after_header

log = logging.getLogger(__name__)

EXEMPT_PATHS = frozenset({"/livez", "/readyz", "/health", "/metrics", "/api/v1/auth/token"})
ADMIN_KEY = "admin-token"
WINDOW_S = 60.0


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, per_minute: int, principals: PrincipalCache) -> None:
        self.app = app
        self.window = MovingWindow(per_minute, WINDOW_S)
        self.principals = principals
        self._last_logged: dict[str, float] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        key = self.key_for(scope)
        wait_s = self.window.hit(key)
        if not wait_s:
            await self.app(scope, receive, send)
            return
        self._log_once(key, wait_s)
        limit = self.window.limit
        response = problem(
            429,
            None,
            f"more than {limit} requests in a minute from this account; "
            f"try again in {retry_after_header(wait_s)} s",
            headers={"Retry-After": retry_after_header(wait_s)},
        )
        await response(scope, receive, send)

    def key_for(self, scope: Scope) -> str:
        token = _bearer(scope)
        if token:
            principals = self.principals
            if principals.is_admin_token(token):
                return ADMIN_KEY
            principal = principals.cached(token)
            if principal is not None and principal.user_id is not None:
                return f"user:{principal.user_id}"
            claims = principals.claims(token)
            if claims is not None:
                return f"user:{claims.user_id}"
        client = scope.get("client")
        return f"anon:{client[0] if client else 'unknown'}"

    def _log_once(self, key: str, wait_s: float) -> None:
        """One warning per key per window, however many requests are refused."""
        now = time.monotonic()
        if now - self._last_logged.get(key, -WINDOW_S) < WINDOW_S:
            return
        if len(self._last_logged) > 10_000:
            self._last_logged.clear()
        self._last_logged[key] = now
        log.warning(
            "rate limit: %s sent more than %d requests in a minute; refusing for %.0f s",
            key,
            self.window.limit,
            wait_s,
        )


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None
