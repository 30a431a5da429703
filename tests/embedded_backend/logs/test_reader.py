"""Reading backend.jsonl backwards: rotated files, filters, partial lines, limits; real
files in a temp dir, some written by the real logging pipeline."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from asgi_correlation_id import correlation_id

from embedded_backend.logs import configure_logging, shutdown_logging
from embedded_backend.logs.reader import (
    LogFilter,
    lines_backwards,
    log_files,
    parse_line,
    tail,
)

T0 = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def record(n: int, level: str = "INFO", msg: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "ts": (T0 + timedelta(seconds=n)).isoformat(timespec="milliseconds"),
        "level": level,
        "logger": "vigia.test",
        "msg": msg if msg is not None else f"line {n}",
        "request_id": extra.pop("request_id", None),
        "thread": "MainThread",
        **extra,
    }


def write(path: Path, records: list[dict[str, Any]], tail_text: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        fh.write(tail_text)


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """backend.jsonl (records 200..299), .1 (100..199), .2 (0..99): like rotation."""
    current = tmp_path / "logs" / "backend.jsonl"
    write(current.with_name("backend.jsonl.2"), [record(n) for n in range(100)])
    write(current.with_name("backend.jsonl.1"), [record(n) for n in range(100, 200)])
    write(current, [record(n) for n in range(200, 300)])
    return current


def numbers(items: list[dict[str, Any]]) -> list[int]:
    return [int(str(r["msg"]).split()[-1]) for r in items]


def test_log_files_newest_first_by_number(logs: Path) -> None:
    write(logs.with_name("backend.jsonl.10"), [record(-1)])
    (logs.parent / "backend.jsonl.old").write_text("x", encoding="utf-8")
    (logs.parent / "other.jsonl.1").write_text("x", encoding="utf-8")
    assert [p.name for p in log_files(logs)] == [
        "backend.jsonl",
        "backend.jsonl.1",
        "backend.jsonl.2",
        "backend.jsonl.10",
    ]
    assert log_files(logs.parent / "missing" / "backend.jsonl") == []


def test_tail_is_newest_last_and_crosses_rotated_files(logs: Path) -> None:
    result = tail(logs, limit=150)
    assert numbers(result.items) == list(range(150, 300))
    assert result.truncated is True
    everything = tail(logs, limit=1000)
    assert numbers(everything.items) == list(range(300))
    assert everything.truncated is False


def test_exactly_limit_matches_is_not_truncated(logs: Path) -> None:
    assert tail(logs, limit=300).truncated is False
    assert tail(logs, limit=299).truncated is True


def test_level_is_a_minimum(tmp_path: Path) -> None:
    path = tmp_path / "backend.jsonl"
    levels = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "warning"]
    write(path, [record(n, level) for n, level in enumerate(levels)])
    result = tail(path, LogFilter(level="warning"))
    assert [r["level"] for r in result.items] == ["WARNING", "ERROR", "CRITICAL", "warning"]
    with pytest.raises(ValueError, match="unknown log level"):
        LogFilter(level="LOUD")


def test_text_is_case_insensitive_over_every_field(tmp_path: Path) -> None:
    path = tmp_path / "backend.jsonl"
    write(
        path,
        [
            record(0, msg="Pedido criado 0"),
            record(1, msg="nothing here 1"),
            record(2, msg="failed 2", exc='Traceback ...\nValueError: "PEDIDO" inválido'),
            record(3, msg="AÇÃO concluída 3"),
            record(4, msg="other 4", logger="vigia.pedidos"),
        ],
    )
    assert numbers(tail(path, LogFilter(text="pedido")).items) == [0, 2, 4]
    # Quotes and newlines are escaped in the raw line: still found in the value.
    assert numbers(tail(path, LogFilter(text='"pedido"')).items) == [2]
    assert numbers(tail(path, LogFilter(text="inválido")).items) == [2]
    assert numbers(tail(path, LogFilter(text="ação")).items) == [3]
    # The key names are not values.
    assert tail(path, LogFilter(text="request_id")).items == []


def test_request_id_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "backend.jsonl"
    rid = "0123456789abcdef0123456789abcdef"
    write(
        path,
        [
            record(0, request_id=rid),
            record(1, request_id=rid + "ff"),
            record(2, msg=f"mentions {rid} only in the text 2"),
            record(3, request_id=rid),
        ],
    )
    assert numbers(tail(path, LogFilter(request_id=rid)).items) == [0, 3]


def test_since_stops_reading_older_records(logs: Path) -> None:
    since = T0 + timedelta(seconds=250)
    result = tail(logs, LogFilter(since=since), limit=1000)
    assert numbers(result.items) == list(range(250, 300))
    assert result.truncated is False
    # Only the newest file was read (the .1 and .2 files were not needed).
    assert result.scanned_bytes <= logs.stat().st_size
    # Naive = UTC; other offsets are converted.
    naive = tail(logs, LogFilter(since=since.replace(tzinfo=None)), limit=1000)
    assert numbers(naive.items) == list(range(250, 300))
    sao_paulo = since.astimezone(timezone(timedelta(hours=-3)))
    assert numbers(tail(logs, LogFilter(since=sao_paulo), limit=1000).items)[0] == 250
    # The calendar's ends do not overflow.
    far = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    assert len(tail(logs, LogFilter(since=far), limit=1000).items) == 300


def test_filters_combine(logs: Path) -> None:
    write(
        logs,
        [record(n, "ERROR" if n % 10 == 0 else "INFO") for n in range(200, 300)]
        + [record(300, "ERROR", msg="disk full 300")],
    )
    result = tail(logs, LogFilter(level="ERROR", text="line 2"), limit=3)
    assert numbers(result.items) == [270, 280, 290]
    assert result.truncated is True


def test_partial_last_line_of_the_current_file_is_not_a_record_yet(tmp_path: Path) -> None:
    path = tmp_path / "backend.jsonl"
    write(path, [record(0), record(1)], tail_text='{"ts": "2026-11-23T17:00:02')
    assert numbers(tail(path).items) == [0, 1]
    # In a rotated file a cut line is kept as text (a crash cut it; it will not grow).
    rotated = tmp_path / "backend.jsonl.1"
    write(rotated, [record(0)], tail_text="cut here")
    items = tail(tmp_path / "none.jsonl", files=[rotated]).items
    assert items[-1] == {"ts": None, "level": None, "msg": "cut here"}


def test_non_json_lines_are_kept_as_text_and_ignored_by_level(tmp_path: Path) -> None:
    path = tmp_path / "backend.jsonl"
    write(path, [record(0)], tail_text="Traceback (most recent call last)\n\n[1, 2]\n")
    items = tail(path).items
    assert [r["msg"] for r in items] == ["line 0", "Traceback (most recent call last)", "[1, 2]"]
    assert numbers(tail(path, LogFilter(level="DEBUG")).items) == [0]
    assert tail(path, LogFilter(text="traceback")).items[0]["level"] is None
    assert parse_line(b"\xff\xfe broken") == {
        "ts": None,
        "level": None,
        "msg": "\ufffd\ufffd broken",
    }


def test_end_offset_reads_only_up_to_where_a_follower_starts(tmp_path: Path) -> None:
    path = tmp_path / "backend.jsonl"
    write(path, [record(n) for n in range(3)])
    end = path.stat().st_size
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record(3)) + "\n")
    assert numbers(tail(path, end=end).items) == [0, 1, 2]


def test_lines_backwards_small_blocks_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"one\r\ntwo\n\nthree-is-longer-than-a-block\nfour")
    lines = [line for line, _ in lines_backwards(path, block_size=4)]
    assert lines == [b"four", b"three-is-longer-than-a-block", b"two", b"one\r"]
    partial_skipped = [line for line, _ in lines_backwards(path, skip_partial=True, block_size=3)]
    assert partial_skipped == [b"three-is-longer-than-a-block", b"two", b"one\r"]
    assert list(lines_backwards(tmp_path / "missing")) == []


def test_large_file_tail_reads_only_the_end(tmp_path: Path) -> None:
    path = tmp_path / "backend.jsonl"
    line = json.dumps(record(0, msg="x" * 200)) + "\n"
    path.write_text(line * 50_000, encoding="utf-8")  # ~12 MB
    result = tail(path, limit=100)
    assert len(result.items) == 100 and result.truncated
    assert result.scanned_bytes <= 2 * (1 << 20)  # two blocks at most


def test_limit_must_be_positive(logs: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        tail(logs, limit=0)


def test_reads_what_the_real_logging_pipeline_writes(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "backend.jsonl"
    root_level = logging.getLogger().level
    configure_logging(path, console=False, max_bytes=2_000, backup_count=3)
    log = logging.getLogger("vigia.reader-test")
    token = correlation_id.set("feedfacefeedfacefeedfacefeedface")
    try:
        for n in range(40):
            log.info("order %d created with password=hunter2-%d", n, n)
        log.error("order failed")
    finally:
        correlation_id.reset(token)
        shutdown_logging()
        logging.getLogger().setLevel(root_level)
    assert len(log_files(path)) == 4  # rotated while writing
    result = tail(path, LogFilter(request_id="feedfacefeedfacefeedfacefeedface"), limit=5)
    assert [r["msg"] for r in result.items][-1] == "order failed"
    assert result.truncated
    errors = tail(path, LogFilter(level="ERROR")).items
    assert [r["msg"] for r in errors] == ["order failed"]
    assert not any("hunter2" in json.dumps(r) for r in tail(path, limit=100).items)
