"""SQLAlchemy engine events: statement time, driver errors and the slow-query log.

``before_cursor_execute`` stamps the execution context, ``after_cursor_execute`` observes
``db_query_duration_seconds{operation}`` and, above ``slow_query_s``, logs a WARNING with
the statement and its duration. Parameter values are never logged: only how many
parameters (or parameter sets) there were, and quoted literals inside the SQL text are
replaced by ``'?'`` as well. ``handle_error`` counts ``db_errors_total{error}``.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext

from embedded_backend.observability.metrics import Metrics

log = logging.getLogger(__name__)

_STAMP = "_vigia_started"
MAX_SQL_CHARS = 2000
_OPERATIONS = ("SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT", "ROLLBACK", "WITH")
_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
_SPACES = re.compile(r"\s+")


def operation(statement: str) -> str:
    """The statement's verb for the ``operation`` label (a fixed, small set)."""
    head = statement[:12].lstrip().upper()
    for verb in _OPERATIONS:
        if head.startswith(verb):
            return verb.lower()
    return "other"


def redact_sql(statement: str) -> str:
    """The statement for a log line: one line, string literals hidden, bounded length."""
    text = _SPACES.sub(" ", _STRING_LITERAL.sub("'?'", statement)).strip()
    if len(text) > MAX_SQL_CHARS:
        text = text[:MAX_SQL_CHARS] + " ..."
    return text


def describe_parameters(parameters: Any, executemany: bool) -> str:
    """How many parameters there were; never their values."""
    if executemany and isinstance(parameters, list | tuple):
        return f"{len(parameters)} parameter sets redacted"
    if isinstance(parameters, dict | list | tuple):
        return f"{len(parameters)} parameters redacted"
    return "no parameters"


def instrument_engine(engine: Engine, metrics: Metrics, slow_query_s: float) -> None:
    """Attach the listeners to this engine only (each app has its own engine)."""
    histogram = metrics.db_query_duration_seconds
    children = {op: histogram.labels(op) for op in (*(v.lower() for v in _OPERATIONS), "other")}
    errors = metrics.db_errors_total
    slow_counter = metrics.db_slow_queries_total

    def before(
        _conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        if context is not None:
            setattr(context, _STAMP, time.perf_counter())

    def after(
        _conn: Any, _cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        started = getattr(context, _STAMP, None)
        if started is None:
            return
        elapsed = time.perf_counter() - started
        children[operation(statement)].observe(elapsed)
        if elapsed >= slow_query_s:
            slow_counter.inc()
            log.warning(
                "slow query: %.3f s (threshold %.3f s): %s [%s]",
                elapsed,
                slow_query_s,
                redact_sql(statement),
                describe_parameters(params, many),
            )

    def on_error(ctx: ExceptionContext) -> None:
        original = ctx.original_exception
        kind = "disconnect" if ctx.is_disconnect else type(original).__name__
        errors.labels(kind).inc()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "handle_error", on_error)
