"""/api/v1/admin/logs (mounted by ``admin``): the tail of the backend's log file.

Reads ``$VIGIA_HOME/logs/backend.jsonl`` and its rotated files backwards from the end
(:mod:`embedded_backend.logs.reader`), so a large log costs only the part read. Records
come back oldest first, newest last; ``truncated`` says that older matching records
exist beyond ``limit``. Secrets were redacted when the file was written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from embedded_backend.api.deps import AdminDep, StateDep
from embedded_backend.logs.reader import DEFAULT_LIMIT, MAX_LIMIT, LogFilter, tail

router = APIRouter(tags=["admin"])

Level = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class LogTail(BaseModel):
    items: list[dict[str, Any]] = Field(
        description="log records (ts, level, logger, msg, request_id, thread, extras, exc), "
        "oldest first"
    )
    truncated: bool = Field(description="older records that match exist beyond `limit`")


@router.get("/logs", response_model=LogTail)
def read_logs(  # sync: file reading runs in the thread pool, off the event loop
    state: StateDep,
    _: AdminDep,
    level: Annotated[Level | None, Query(description="minimum level")] = None,
    text: Annotated[
        str | None, Query(max_length=200, description="substring of any field, any case")
    ] = None,
    request_id: Annotated[
        str | None, Query(max_length=64, description="exact request id (X-Request-ID)")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="at most this many records")
    ] = DEFAULT_LIMIT,
    since: Annotated[
        datetime | None, Query(description="records from this time on (inclusive)")
    ] = None,
) -> dict[str, Any]:
    filters = LogFilter(level=level, text=text or None, request_id=request_id or None, since=since)
    return tail(state.settings.paths.backend_log, filters, limit).as_dict()
