from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from asgi_correlation_id import correlation_id

from embedded_backend.logs import configure_logging, shutdown_logging

log = logging.getLogger("vigia.test")


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "logs" / "backend.jsonl"
    root_level = logging.getLogger().level
    yield path
    shutdown_logging()
    logging.getLogger().setLevel(root_level)


def _records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_json_lines_with_request_id_and_traceback(log_file: Path) -> None:
    configure_logging(log_file, console=False)
    token = correlation_id.set("0123456789abcdef0123456789abcdef")
    try:
        log.info("order %s created", 42, extra={"order_id": 42})
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("it failed")
    finally:
        correlation_id.reset(token)
    shutdown_logging()
    first, second = _records(log_file)
    assert first["msg"] == "order 42 created"
    assert first["level"] == "INFO"
    assert first["request_id"] == "0123456789abcdef0123456789abcdef"
    assert first["order_id"] == 42
    assert "Traceback" in str(second["exc"]) and "ValueError: boom" in str(second["exc"])


def test_secrets_never_reach_the_file(log_file: Path) -> None:
    configure_logging(log_file, console=False)
    log.warning("retrying postgresql://erp:Pa55word@db/erp with Authorization: Bearer abc123")
    try:
        raise RuntimeError("password=Pa55word")
    except RuntimeError:
        log.exception("failed")
    shutdown_logging()
    text = log_file.read_text(encoding="utf-8")
    assert "Pa55word" not in text and "abc123" not in text
    assert text.count("***") >= 3


def test_rotation_by_size(log_file: Path) -> None:
    configure_logging(log_file, console=False, max_bytes=2000, backup_count=3)
    for i in range(200):
        log.info("line %d %s", i, "x" * 50)
    shutdown_logging()
    rotated = sorted(p.name for p in log_file.parent.iterdir())
    assert rotated == ["backend.jsonl", "backend.jsonl.1", "backend.jsonl.2", "backend.jsonl.3"]
    for path in log_file.parent.iterdir():
        assert path.stat().st_size <= 2000
        _records(path)  # every file holds whole JSON lines


def test_console_is_human_readable(log_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(log_file, console=True)
    log.warning("disk almost full")
    shutdown_logging()
    err = capsys.readouterr().err
    assert "WARNING" in err and "vigia.test: disk almost full" in err
    assert not err.lstrip().startswith("{")
