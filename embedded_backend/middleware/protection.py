"""The protection layers, added in one place so their order is deliberate.

From the outside in (``create_app`` adds the guard and the correlation ID outside these,
so every answer below still carries ``X-Request-ID``, and the router gate inside)::

    SecurityHeaders   every answer, including the refusals below
    TrustedHost       foreign Host -> 400, before anything else looks at the request
    CORS              only when cors_origins is set; answers preflights itself, and its
                      headers reach 413/429 so a browser page can read them
    BodyLimit         413 before the body is read (max_body_bytes; 0 = off)
    RateLimit         429 per user/token (rate_limit_per_minute; 0 = off)
    GZip              large answers only (>= 1000 bytes), when the client accepts gzip

Each layer that is turned off is not installed at all, so it costs nothing.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from embedded_backend.middleware.body_limit import BodyLimitMiddleware
from embedded_backend.middleware.gzip import GZipIfAcceptedMiddleware
from embedded_backend.middleware.rate_limit import RateLimitMiddleware
from embedded_backend.middleware.security_headers import SecurityHeadersMiddleware
from embedded_backend.middleware.trusted_host import TrustedHostMiddleware, allowed_hosts
from embedded_backend.state import AppState
from embedded_backend.throttle import MovingWindow

GZIP_MIN_BYTES = 1000
GZIP_LEVEL = 6  # Starlette's default 9 costs several times the CPU for a few % of size


def add_protection(app: FastAPI, state: AppState) -> None:
    """Add the layers innermost first (Starlette wraps each new one around the others)."""
    settings = state.settings
    if settings.login_failures_per_minute:  # enforced by the login route (api/routes/auth.py)
        state.login_failures = MovingWindow(settings.login_failures_per_minute, 60.0)
    app.add_middleware(
        GZipIfAcceptedMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=GZIP_LEVEL
    )
    if settings.rate_limit_per_minute:
        app.add_middleware(
            RateLimitMiddleware,
            per_minute=settings.rate_limit_per_minute,
            principals=state.principals,
        )
    if settings.max_body_bytes:
        app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(
        TrustedHostMiddleware,
        allowed_hosts=allowed_hosts(settings.host, settings.trusted_hosts),
    )
    app.add_middleware(SecurityHeadersMiddleware)
