"""Assemble the health document; cache it briefly so a burst of probes costs one check."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from embedded_backend import __version__
from embedded_backend.health import checks
from embedded_backend.state import AppState

_RANK = {"pass": 0, "warn": 1, "fail": 2}


class HealthService:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self._cached: tuple[float, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    async def report(self) -> dict[str, Any]:
        ttl = self.state.settings.health_cache_s
        cached = self._cached
        if cached and time.monotonic() - cached[0] < ttl:
            return cached[1]
        async with self._lock:
            cached = self._cached
            if cached and time.monotonic() - cached[0] < ttl:
                return cached[1]
            doc = await self._build()
            self._cached = (time.monotonic(), doc)
            return doc

    async def _build(self) -> dict[str, Any]:
        state = self.state
        results = [
            await checks.database(state),
            checks.routers(state),
            checks.uptime(state),
            checks.disk(state),
            checks.log_file(state),
            checks.backup_age(state),
            checks.cache(state),
        ]
        status = "pass"
        outputs: list[str] = []
        if not state.startup_complete:
            status, outputs = "fail", ["starting up"]
        elif state.stopping:
            status, outputs = "fail", ["shutting down"]
        for _key, entries in results:
            for entry in entries:
                if _RANK[entry["status"]] > _RANK[status]:
                    status = entry["status"]
                if entry["status"] != "pass" and entry.get("output"):
                    who = entry.get("componentId")
                    text = entry["output"]
                    outputs.append(f"{who}: {text}" if who and _key == "routers:loaded" else text)
        doc: dict[str, Any] = {
            "status": status,
            "version": __version__,
            "serviceId": "vigia",
            "description": "Vigia ERP backend",
        }
        if outputs:
            doc["output"] = "; ".join(outputs)
        doc["checks"] = dict(results)
        return doc
