"""Pure-ASGI HTTP metrics: ``http_requests_total``, ``http_request_duration_seconds``,
``http_requests_in_progress``, and the per-route rolling window behind ``performance``.

Added last in ``create_app`` so it is the outermost middleware: the status it records is
the one the client got, including the router gate's 503s and the guard's emergency 500s.
If nothing was sent at all (the connection died inside the app), the request counts as 500.

Per-request cost is kept small, since every request pays it:

- label children are looked up once per (method, status, route) and cached, with their
  bound ``inc`` and ``observe``, so a request costs two dict lookups, one counter
  increment, one histogram observation and one deque append;
- requests in progress are a plain count per method, changed by the event loop that
  serves them (no lock, no label lookup); the gauge reads it when it is collected.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from embedded_backend.observability.metrics import Metrics
from embedded_backend.observability.performance import PerformanceTracker
from embedded_backend.observability.route_template import RouteTemplates

_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
OTHER_METHOD = "OTHER"

_Children = tuple[Callable[[], None], Callable[[float], None]]  # counter inc, histogram observe


class MetricsMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        performance: PerformanceTracker,
        templates: RouteTemplates | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.performance = performance
        self.templates = templates or RouteTemplates()
        self._in_progress: dict[str, int] = {}
        self._children: dict[tuple[str, int, str], _Children] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        if method not in _METHODS:
            method = OTHER_METHOD  # clients may send any token; keep the label bounded
        in_progress = self._in_progress
        if method not in in_progress:
            self._track_in_progress(method)
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        in_progress[method] += 1
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_status)
        finally:
            ended = time.perf_counter()
            elapsed = ended - started
            in_progress[method] -= 1
            route = self.templates.resolve(scope)
            key = (method, status, route)
            children = self._children.get(key)
            if children is None:
                children = self._children[key] = self._make_children(key)
            children[0]()
            children[1](elapsed)
            self.performance.record(route, elapsed, status, ended)

    def _track_in_progress(self, method: str) -> None:
        """Start counting ``method``; its gauge child reads the count when collected."""
        self._in_progress[method] = 0
        child = self.metrics.http_requests_in_progress.labels(method)
        child.set_function(partial(self._in_progress.__getitem__, method))

    def _make_children(self, key: tuple[str, int, str]) -> _Children:
        method, status, route = key
        labels = (method, str(status), route)
        return (
            self.metrics.http_requests_total.labels(*labels).inc,
            self.metrics.http_request_duration_seconds.labels(*labels).observe,
        )
