"""The route-template label of a request: ``/api/v1/products/{product_id}``, never the raw
path, so the number of label values stays bounded however many paths clients try.

Starlette stores the matched route in ``scope["route"]``. With FastAPI's nested routers
(0.13x and later) that route's ``path_format`` is relative to the prefix it was included
under (``/{product_id}``), so the prefix is recovered from the request path: the shortest
leading part of the path after which the route's own pattern matches the rest. Router
prefixes in Vigia are literal (``VIGIA_ROUTERS`` refuses ``{...}`` in them), so this
prefix is a fixed string. As a last guard, at most ``MAX_TEMPLATES`` distinct templates
are ever handed out; anything beyond becomes ``OTHER``.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.types import Scope

UNMATCHED = "<unmatched>"
OTHER = "<other>"
MAX_TEMPLATES = 500


class RouteTemplates:
    """Resolve and remember templates; one instance per app (cheap after the first hit)."""

    def __init__(self, limit: int = MAX_TEMPLATES) -> None:
        self._limit = limit
        self._known: set[str] = set()
        # id(route) -> (prefix it was last seen under, its pattern, template)
        self._cache: dict[int, tuple[str, re.Pattern[str] | None, str]] = {}

    def resolve(self, scope: Scope) -> str:
        route: Any = scope.get("route")
        if route is None:
            return UNMATCHED
        path: str = scope["path"]
        root_path: str = scope.get("root_path", "")
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :]
        cached = self._cache.get(id(route))  # routes live as long as the app, like this
        if cached is not None:
            prefix, regex, template = cached
            if path.startswith(prefix) and (regex is None or regex.match(path[len(prefix) :])):
                return template
        path_format: str | None = getattr(route, "path_format", None)
        if path_format is None:
            return UNMATCHED
        regex = getattr(route, "path_regex", None)
        prefix = self._prefix(regex, path_format, path)
        template = self._bounded(prefix + path_format)
        self._cache[id(route)] = (prefix, regex, template)
        return template

    @staticmethod
    def _prefix(regex: re.Pattern[str] | None, path_format: str, path: str) -> str:
        if regex is None or regex.match(path):  # a top-level (or flattened) route
            return "" if path_format else path
        if not path_format:  # the router's own root (``@router.get("")``): path = prefix
            return path
        index = path.find("/", 1)
        while index != -1:
            if regex.match(path[index:]):
                return path[:index]
            index = path.find("/", index + 1)
        return ""  # a partial match (405) under an unusual router: still bounded

    def _bounded(self, template: str) -> str:
        if template in self._known:
            return template
        if len(self._known) >= self._limit:
            return OTHER
        self._known.add(template)
        return template
