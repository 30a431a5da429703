"""Engine events: query time by operation, driver errors, and the slow-query log."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from embedded_backend.config import Settings
from embedded_backend.observability.db_events import (
    describe_parameters,
    instrument_engine,
    operation,
    redact_sql,
)
from embedded_backend.observability.metrics import Metrics
from tests.embedded_backend.api.support import make_product, unique
from tests.embedded_backend.observability.support import scrape, value
from tests.helpers.live import LiveServer, live_server

LOGGER = "embedded_backend.observability.db_events"


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("SELECT 1", "select"),
        ("  \n insert into t values (1)", "insert"),
        ("UPDATE t SET a = 1", "update"),
        ("DELETE FROM t", "delete"),
        ("BEGIN IMMEDIATE", "begin"),
        ("WITH x AS (SELECT 1) SELECT * FROM x", "with"),
        ("PRAGMA foreign_keys = ON", "other"),
        ("", "other"),
    ],
)
def test_operation_label(statement: str, expected: str) -> None:
    assert operation(statement) == expected


def test_redact_sql_hides_literals_and_bounds_length() -> None:
    sql = "SELECT *\n  FROM users WHERE name = 'maria' AND note = 'it''s'   AND id = :id"
    assert redact_sql(sql) == "SELECT * FROM users WHERE name = '?' AND note = '?' AND id = :id"
    long = redact_sql("SELECT " + "x, " * 2000)
    assert len(long) <= 2010 and long.endswith(" ...")


def test_describe_parameters_never_shows_values() -> None:
    assert describe_parameters({"a": "secret", "b": 2}, False) == "2 parameters redacted"
    assert describe_parameters([("s1",), ("s2",), ("s3",)], True) == "3 parameter sets redacted"
    assert describe_parameters(None, False) == "no parameters"


def test_errors_and_durations_on_a_real_engine(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    metrics = Metrics()
    instrument_engine(engine, metrics, slow_query_s=60)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            with pytest.raises(OperationalError):
                conn.execute(text("SELECT * FROM no_such_table"))
    finally:
        engine.dispose()
    registry = metrics.registry
    assert (
        registry.get_sample_value("db_query_duration_seconds_count", {"operation": "select"}) == 1
    )  # the failed statement has no duration, only an error
    assert registry.get_sample_value("db_errors_total", {"error": "OperationalError"}) == 1
    assert registry.get_sample_value("db_slow_queries_total") == 0


@pytest.fixture
def slow_server(make_settings: Callable[..., Settings], database_url: str) -> Iterator[LiveServer]:
    with live_server(make_settings(database_url=database_url, slow_query_s=1e-9)) as live:
        yield live


def test_slow_query_log_shows_sql_but_never_parameters(
    slow_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    sku, name = unique("SECRET-SKU"), unique("Confidential product name")
    with caplog.at_level(logging.WARNING, logger=LOGGER), slow_server.client() as c:
        make_product(c, sku=sku, name=name, price="987.65")
        slow_count = value(scrape(c), "db_slow_queries_total")
    records = [r for r in caplog.records if r.name == LOGGER]
    messages = [r.getMessage() for r in records]
    inserts = [m for m in messages if "INSERT INTO products" in m]
    assert inserts, messages
    assert all(r.levelno == logging.WARNING for r in records)
    assert "parameters redacted" in inserts[0] and " s (threshold " in inserts[0]
    for message in messages:
        assert sku not in message and name not in message and "987.65" not in message
    assert slow_count >= len(inserts)
