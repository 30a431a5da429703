"""/api/v1/monitoring/cache/status and /cache/clear (administrators only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from embedded_backend.api.deps import AdminDep, CacheDep

router = APIRouter(tags=["monitoring"])


@router.get("/cache/status")
async def cache_status(cache: CacheDep, _: AdminDep) -> dict[str, Any]:
    return cache.status()


@router.post("/cache/clear")
def cache_clear(  # sync: clearing Redis is network I/O; keep it off the event loop
    cache: CacheDep,
    _: AdminDep,
    namespace: Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$")] = None,
) -> dict[str, Any]:
    removed = cache.clear(namespace)
    return {"cleared": True, "namespace": namespace, "removed": removed, **cache.status()}
