"""Load each router alone, remember what failed, and switch routers on and off at runtime."""

from __future__ import annotations

import importlib
import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, FastAPI

from embedded_backend.routers.specs import RouterSpec

log = logging.getLogger(__name__)

_NOT_A_ROUTER = ", not a fastapi.APIRouter"

RouterState = Literal["loaded", "failed", "disabled"]


@dataclass
class RouterStatus:
    spec: RouterSpec
    state: RouterState = "loaded"
    error_type: str | None = None
    error_message: str | None = None
    failed_at: datetime | None = None
    load_ms: float = 0.0
    disabled_by: str | None = None
    disabled: bool = field(default=False)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def available(self) -> bool:
        return self.state == "loaded" and not self.disabled

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.spec.name,
            "prefix": self.spec.prefix,
            "target": self.spec.target,
            "status": "disabled" if self.disabled else self.state,
            "critical": self.spec.critical,
            "builtin": self.spec.builtin,
            "error_type": self.error_type,
            "error": self.error_message,
            "failed_at": self.failed_at.isoformat() if self.failed_at else None,
            "load_ms": round(self.load_ms, 2),
        }


def import_router(spec: RouterSpec) -> APIRouter:
    """Import ``spec.target``; raise whatever the import raises (callers catch it)."""
    module = importlib.import_module(spec.module)
    obj: object = module
    for part in spec.attribute.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, APIRouter):
        raise TypeError(f"{spec.target} is a {type(obj).__name__}{_NOT_A_ROUTER}")
    return obj


class RouterRegistry:
    def __init__(self, specs: list[RouterSpec]) -> None:
        self._specs = specs
        self._statuses: dict[str, RouterStatus] = {}
        self._lock = threading.Lock()
        # (prefix, status) pairs the gate must answer for; replaced wholesale on change.
        self.blocked: tuple[tuple[str, RouterStatus], ...] = ()

    @property
    def statuses(self) -> list[RouterStatus]:
        return list(self._statuses.values())

    def get(self, name: str) -> RouterStatus | None:
        return self._statuses.get(name)

    def load_all(self, app: FastAPI) -> None:
        for spec in self._specs:
            self._statuses[spec.name] = self._load_one(app, spec)
        self._refresh_blocked()
        failed = [s.name for s in self._statuses.values() if s.state == "failed"]
        log.info(
            "routers loaded: %d of %d%s",
            len(self._statuses) - len(failed),
            len(self._statuses),
            f" (failed: {', '.join(failed)})" if failed else "",
        )

    def _load_one(self, app: FastAPI, spec: RouterSpec) -> RouterStatus:
        started = time.perf_counter()
        try:
            router = import_router(spec)
            app.include_router(router, prefix=spec.prefix)
        except (Exception, SystemExit) as exc:  # any failure stays inside this router
            log.error(
                "router %s (%s) failed to load: %s: %s; its prefix %s answers 503",
                spec.name,
                spec.target,
                type(exc).__name__,
                exc,
                spec.prefix,
                exc_info=exc,
            )
            return RouterStatus(
                spec,
                "failed",
                type(exc).__name__,
                _short(exc) + _advice(spec, exc),
                datetime.now(UTC),
                (time.perf_counter() - started) * 1000,
            )
        return RouterStatus(spec, "loaded", load_ms=(time.perf_counter() - started) * 1000)

    def set_enabled(self, name: str, enabled: bool, actor: str) -> RouterStatus:
        with self._lock:
            status = self._statuses[name]
            status.disabled = not enabled
            status.disabled_by = None if enabled else actor
            self._refresh_blocked()
        log.warning("router %s %s by %s", name, "enabled" if enabled else "disabled", actor)
        return status

    def _refresh_blocked(self) -> None:
        """Prefixes the gate must look at, longest first. Working routers mounted *under*
        a blocked prefix are included too, so the longest match decides."""
        down = [s.spec.prefix for s in self._statuses.values() if not s.available]
        entries = [
            (s.spec.prefix, s)
            for s in self._statuses.values()
            if not s.available or any(_nested(s.spec.prefix, p) for p in down)
        ]
        entries.sort(key=lambda pair: len(pair[0]), reverse=True)
        self.blocked = tuple(entries)


def _nested(prefix: str, parent: str) -> bool:
    return prefix != parent and prefix.startswith(parent + "/")


def _advice(spec: RouterSpec, exc: BaseException) -> str:
    """What the administrator should do, for the failures whose fix is clear from the type
    alone (an exception the module raised itself keeps just its own message)."""
    if isinstance(exc, SyntaxError):
        return f"; fix {exc.filename or 'the file'} and restart Vigia"
    if isinstance(exc, ModuleNotFoundError):
        if exc.name and (spec.module + ".").startswith(exc.name + "."):
            return f"; check the module name of '{spec.name}' in VIGIA_ROUTERS"
        return f"; {spec.module} needs it: install it and restart Vigia"
    loaded = sys.modules.get(spec.module)
    if isinstance(exc, AttributeError) and loaded is not None and exc.obj is loaded:
        return f"; check the attribute name of '{spec.name}' in VIGIA_ROUTERS"
    if isinstance(exc, TypeError) and str(exc).endswith(_NOT_A_ROUTER):
        return f"; point '{spec.name}' in VIGIA_ROUTERS at a fastapi.APIRouter"
    return ""


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
