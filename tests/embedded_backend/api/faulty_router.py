"""A router whose routes fail, mounted by test_bad_input through ``VIGIA_ROUTERS``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

SECRET_TEXT = "s3cr3t-internal-detail-do-not-leak"


@router.get("/runtime")
def runtime_error() -> dict[str, str]:
    raise RuntimeError(f"{SECRET_TEXT} at /srv/erp/config.py password=hunter2")


@router.get("/unbound")
def unbound_local() -> dict[str, str]:
    if SECRET_TEXT.startswith("never"):
        result = "unreachable"
    return {"result": result}  # UnboundLocalError on purpose


@router.get("/value")
async def value_error() -> dict[str, str]:
    return {"x": str(int(SECRET_TEXT))}
