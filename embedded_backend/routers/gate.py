"""Pure-ASGI gate: prefixes of failed or disabled routers answer 503, never 404."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from embedded_backend.api.problems import problem
from embedded_backend.routers.registry import RouterRegistry

RETRY_AFTER_FAILED_S = 60
RETRY_AFTER_DISABLED_S = 30


class RouterGateMiddleware:
    def __init__(self, app: ASGIApp, registry: RouterRegistry) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        blocked = self.registry.blocked
        if blocked and scope["type"] == "http":
            path: str = scope["path"]
            for prefix, status in blocked:
                if path == prefix or path.startswith(prefix + "/"):
                    if status.available:  # a working router nested under a blocked one
                        break
                    if status.disabled:
                        response = problem(
                            503,
                            "Service disabled",
                            f"the '{status.name}' service was turned off by an administrator; "
                            "ask them to turn it back on",
                            headers={"Retry-After": str(RETRY_AFTER_DISABLED_S)},
                            router=status.name,
                        )
                    else:
                        response = problem(
                            503,
                            "Service unavailable",
                            f"the '{status.name}' service failed to start "
                            f"({status.error_type}); the administrator can see the cause in "
                            "the health page and the log",
                            headers={"Retry-After": str(RETRY_AFTER_FAILED_S)},
                            router=status.name,
                        )
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)
