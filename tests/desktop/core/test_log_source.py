"""The log viewer's sources without Qt: local files (tail + follow, filters applied to
new lines) and the admin API (MockTransport serving the real reader; ``since`` without
repeats)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from desktop.core.admin_client import AdminClient
from desktop.core.log_source import LocalLogSource, RemoteLogSource
from embedded_backend.logs.reader import LogFilter, tail

T0 = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def line(n: int, level: str = "INFO", ms: int | None = None) -> str:
    ts = (T0 + timedelta(milliseconds=n if ms is None else ms)).isoformat(timespec="milliseconds")
    return json.dumps({"ts": ts, "level": level, "msg": f"m{n}"}) + "\n"


def test_local_source_filters_new_lines(tmp_path: Path) -> None:
    log = tmp_path / "backend.jsonl"
    log.write_text(line(0) + line(1, "ERROR"), encoding="utf-8")
    source = LocalLogSource(log)
    loaded = source.load(LogFilter(level="ERROR"), 100)
    assert [r["msg"] for r in loaded.items] == ["m1"]
    with log.open("a", encoding="utf-8") as fh:
        fh.write(line(2) + line(3, "CRITICAL"))
    assert [r["msg"] for r in source.poll()] == ["m3"]


def test_remote_source_follows_with_since(tmp_path: Path) -> None:
    log = tmp_path / "backend.jsonl"
    log.write_text(line(0) + line(1), encoding="utf-8")
    asked: list[dict[str, str]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        q = dict(request.url.params)
        asked.append(q)
        since = datetime.fromisoformat(q["since"]) if "since" in q else None
        result = tail(log, LogFilter(q.get("level"), since=since), int(q["limit"]))
        return httpx.Response(200, json=result.as_dict())

    client = AdminClient(
        lambda: "http://erp:8002", lambda: "t", transport=httpx.MockTransport(handle)
    )
    source = RemoteLogSource(client)
    assert [r["msg"] for r in source.load(LogFilter(), 20_000).items] == ["m0", "m1"]
    assert asked[-1] == {"limit": "5000"}
    assert source.poll() == []  # m1 again (same moment): not repeated
    with log.open("a", encoding="utf-8") as fh:
        fh.write(line(2, ms=1) + line(3))  # m2 at the same millisecond as m1
    assert [r["msg"] for r in source.poll()] == ["m2", "m3"]
    assert asked[-1]["since"] == (T0 + timedelta(milliseconds=1)).isoformat(timespec="milliseconds")
    assert source.poll() == []
    client.close()
