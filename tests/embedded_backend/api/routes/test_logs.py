"""/api/v1/admin/logs on a live backend: the tail of backend.jsonl and its rotated files,
filters, limits, admin only; and a real request found in the log by its request id."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from embedded_backend.logs import configure_logging, shutdown_logging
from tests.embedded_backend.api.support import assert_problem, make_user
from tests.helpers.live import LiveServer

URL = "/api/v1/admin/logs"
T0 = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def _line(n: int, level: str = "INFO", request_id: str | None = None) -> str:
    return json.dumps(
        {
            "ts": (T0 + timedelta(seconds=n)).isoformat(timespec="milliseconds"),
            "level": level,
            "logger": "vigia.test",
            "msg": f"Pedido {n}",
            "request_id": request_id,
            "thread": "MainThread",
        }
    )


@pytest.fixture
def log_file(sqlite_server: LiveServer) -> Path:
    """Records 0..59 in backend.jsonl.1 and 60..119 in backend.jsonl; every 10th an
    ERROR; records 100..104 belong to one request."""
    path = sqlite_server.settings.paths.backend_log
    path.parent.mkdir(parents=True, exist_ok=True)

    def lines(numbers: range) -> str:
        return "".join(
            _line(n, "ERROR" if n % 10 == 0 else "INFO", "r" * 32 if 100 <= n < 105 else None)
            + "\n"
            for n in numbers
        )

    path.with_name("backend.jsonl.1").write_text(lines(range(60)), encoding="utf-8")
    path.write_text(lines(range(60, 120)), encoding="utf-8")
    return path


def _numbers(body: dict[str, Any]) -> list[int]:
    return [int(r["msg"].split()[-1]) for r in body["items"]]


def test_tail_newest_last_across_rotated_files(sqlite_server: LiveServer, log_file: Path) -> None:
    with sqlite_server.client() as c:
        r = c.get(URL, params={"limit": 70})
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"items", "truncated"}
        assert _numbers(body) == list(range(50, 120))
        assert body["truncated"] is True
        default = c.get(URL).json()
        assert _numbers(default) == list(range(120)) and default["truncated"] is False
        first = default["items"][0]
        assert set(first) >= {"ts", "level", "logger", "msg", "request_id", "thread"}


def test_filters(sqlite_server: LiveServer, log_file: Path) -> None:
    with sqlite_server.client() as c:
        errors = c.get(URL, params={"level": "ERROR"}).json()
        assert _numbers(errors) == list(range(0, 120, 10))
        assert _numbers(c.get(URL, params={"text": "PEDIDO 11"}).json()) == [11, *range(110, 120)]
        by_request = c.get(URL, params={"request_id": "r" * 32}).json()
        assert _numbers(by_request) == [100, 101, 102, 103, 104]
        since = (T0 + timedelta(seconds=115)).isoformat()
        assert _numbers(c.get(URL, params={"since": since}).json()) == list(range(115, 120))
        combined = c.get(URL, params={"level": "ERROR", "limit": 2}).json()
        assert _numbers(combined) == [100, 110] and combined["truncated"] is True


def test_bad_parameters_are_problems(sqlite_server: LiveServer, log_file: Path) -> None:
    with sqlite_server.client() as c:
        assert_problem(c.get(URL, params={"limit": 5001}), 422)
        assert_problem(c.get(URL, params={"limit": 0}), 422)
        assert_problem(c.get(URL, params={"level": "LOUD"}), 422)
        assert_problem(c.get(URL, params={"since": "yesterday"}), 422)
        assert_problem(c.get(URL, params={"text": "x" * 201}), 422)
        assert c.get(URL, params={"limit": 5000}).status_code == 200


def test_admins_only(sqlite_server: LiveServer, log_file: Path) -> None:
    with sqlite_server.client(token=None) as anonymous:
        assert_problem(anonymous.get(URL), 401)
    with sqlite_server.client() as c:
        make_user(c, username="clerk-logs", password="clerk-password-1")
    token = sqlite_server.login("clerk-logs", "clerk-password-1")
    with sqlite_server.client(token=token) as clerk:
        assert_problem(clerk.get(URL), 403)


def test_no_log_file_yet_is_an_empty_tail(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        assert c.get(URL).json() == {"items": [], "truncated": False}


@pytest.fixture
def logging_to_file(sqlite_server: LiveServer) -> Iterator[Path]:
    path = sqlite_server.settings.paths.backend_log
    root_level = logging.getLogger().level
    configure_logging(path, console=False)
    yield path
    shutdown_logging()
    logging.getLogger().setLevel(root_level)


def test_a_real_request_is_found_by_its_request_id(
    sqlite_server: LiveServer, logging_to_file: Path
) -> None:
    with sqlite_server.client() as c:
        r = c.post("/api/v1/admin/routers/products/disable")
        assert r.status_code == 200
        request_id = r.headers["x-request-id"]
        c.post("/api/v1/admin/routers/products/enable")
        # The log has one writer thread: wait until it wrote the line.
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        items: list[dict[str, Any]] = []
        while not items and datetime.now(UTC) < deadline:
            items = c.get(URL, params={"request_id": request_id}).json()["items"]
        assert [i["msg"] for i in items] == ["router products disabled by admin-token"]
        assert items[0]["level"] == "WARNING"
        assert items[0]["request_id"] == request_id
