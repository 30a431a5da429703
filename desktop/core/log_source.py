"""Where the log viewer's records come from: the local files or a remote backend's API.

Both sources answer the same two calls (blocking: the viewer calls them in its worker
thread)::

    source.load(filters, limit, should_stop) -> Tail   the newest matching records
    source.poll() -> list[Record]                      matching records added since then

:class:`LocalLogSource` reads ``backend.jsonl`` and its rotated files
(:mod:`embedded_backend.logs.reader`) and follows the file across rotations
(:class:`~desktop.core.log_follow.LogFollower`). :class:`RemoteLogSource` asks
``GET /api/v1/admin/logs`` (at most 5,000 records per call) and follows with ``since``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from desktop.core.admin_client import AdminClient
from desktop.core.errors import AdminError
from desktop.core.log_follow import LogFollower
from embedded_backend.logs.reader import (
    MAX_LIMIT,
    LogFilter,
    Record,
    Tail,
    parse_line,
    record_time,
    tail,
)

StopCheck = Callable[[], bool]


class LogSource(Protocol):
    description: str

    def load(
        self, filters: LogFilter, limit: int, should_stop: StopCheck | None = None
    ) -> Tail: ...

    def poll(self) -> list[Record]: ...


class LocalLogSource:
    def __init__(self, log_file: Path) -> None:
        self.log_file = log_file
        self.description = str(log_file)
        self._filters = LogFilter()
        self._follower = LogFollower(log_file)

    def load(self, filters: LogFilter, limit: int, should_stop: StopCheck | None = None) -> Tail:
        self._filters = filters
        end = self._follower.start_at_end()  # what is added from here on is polled
        return tail(self.log_file, filters, limit, end=end, should_stop=should_stop)

    def poll(self) -> list[Record]:
        records = (parse_line(line) for line in self._follower.poll())
        return [r for r in records if self._filters.matches(r)]


class RemoteLogSource:
    """The admin API's tail. Follows with ``since`` = the newest time seen; records of
    that same moment already shown are not repeated."""

    def __init__(self, client: AdminClient, url: str = "") -> None:
        self.client = client
        self.description = url
        self._filters = LogFilter()
        self._newest: str | None = None  # ts of the newest record shown
        self._seen_at_newest: set[str] = set()

    def _ask(self, filters: LogFilter, limit: int, since: str | None) -> Tail:
        answer = self.client.logs(
            level=filters.level,
            text=filters.text,
            request_id=filters.request_id,
            limit=min(limit, MAX_LIMIT),
            since=since,
        )
        items = answer.get("items")
        if not isinstance(items, list):
            raise AdminError("The ERP server sent an answer this version of Vigia does not know.")
        records = [item for item in items if isinstance(item, dict)]
        return Tail(records, bool(answer.get("truncated")))

    def load(self, filters: LogFilter, limit: int, should_stop: StopCheck | None = None) -> Tail:
        self._filters = filters
        since = filters.since.isoformat() if filters.since else None
        result = self._ask(filters, limit, since)
        self._newest, self._seen_at_newest = None, set()
        self._remember(result.items)
        return result

    def poll(self) -> list[Record]:
        if self._newest is None:
            return self.load(self._filters, MAX_LIMIT).items
        result = self._ask(self._filters, MAX_LIMIT, self._newest)
        fresh = [
            r
            for r in result.items
            if not (r.get("ts") == self._newest and _key(r) in self._seen_at_newest)
        ]
        self._remember(fresh)
        return fresh

    def _remember(self, records: list[Record]) -> None:
        for record in records:
            ts = record.get("ts")
            if not isinstance(ts, str) or record_time(record) is None:
                continue
            if ts != self._newest:
                newest = record_time({"ts": self._newest}) if self._newest else None
                moment = record_time(record)
                if newest is not None and moment is not None and moment < newest:
                    continue
                self._newest, self._seen_at_newest = ts, set()
            self._seen_at_newest.add(_key(record))


def _key(record: Record) -> str:
    return json.dumps(record, sort_keys=True, default=str)
