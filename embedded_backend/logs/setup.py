"""Wire logging for the process: one writer thread, rotated JSON file, console.

Every record goes through a queue to a single listener thread, so threads (server,
tray, background tasks) never interleave lines and the file has one writer. Secrets
are removed before a record enters the queue. A log file that cannot be written (full
disk) never disturbs the process: see logs/file_handler.py; :func:`log_file_problem`
says what is wrong, for health.
"""

from __future__ import annotations

import logging
import logging.handlers
import queue
import sys
import threading
import traceback
from pathlib import Path

from asgi_correlation_id import CorrelationIdFilter

from embedded_backend.logs.file_handler import ResilientFileHandler
from embedded_backend.logs.formatters import ConsoleFormatter, JsonFormatter
from embedded_backend.logs.redaction import redact

MAX_BYTES = 10 * 1024 * 1024
BACKUP_COUNT = 10

_lock = threading.Lock()
_state: dict[str, object] = {}


class _RedactingQueueHandler(logging.handlers.QueueHandler):
    """Freeze a record for the queue: message and traceback rendered, then redacted."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        message = redact(record.getMessage())
        exc_text = None
        if record.exc_info:
            exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
        elif record.exc_text:
            exc_text = redact(record.exc_text)
        copy = logging.makeLogRecord(record.__dict__)
        copy.msg, copy.args, copy.message = message, None, message
        copy.exc_info, copy.exc_text = None, exc_text
        copy.stack_info = redact(record.stack_info) if record.stack_info else None
        return copy


def configure_logging(
    log_file: Path,
    level: str = "INFO",
    console: bool = True,
    max_bytes: int = MAX_BYTES,
    backup_count: int = BACKUP_COUNT,
) -> None:
    """Install (or re-install for another file) the process-wide logging pipeline."""
    with _lock:
        if _state.get("file") == log_file and _state.get("console") == console:
            logging.getLogger().setLevel(level)
            return
        _stop_locked()
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = ResilientFileHandler(
            log_file, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8", delay=True
        )
        file_handler.setFormatter(JsonFormatter())
        handlers: list[logging.Handler] = [file_handler]
        if console and sys.stderr is not None:
            console_handler = logging.StreamHandler(sys.stderr)
            console_handler.setFormatter(ConsoleFormatter())
            handlers.append(console_handler)
        records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        queue_handler = _RedactingQueueHandler(records)
        queue_handler.addFilter(CorrelationIdFilter(uuid_length=32, default_value=None))
        listener = logging.handlers.QueueListener(records, *handlers, respect_handler_level=False)
        listener.start()
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.addHandler(queue_handler)
        root.setLevel(level)
        # Quiet libraries that are chatty at INFO.
        for name in ("uvicorn.access", "httpx", "httpcore", "alembic"):
            logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
        _state.update(
            file=log_file,
            console=console,
            listener=listener,
            handler=queue_handler,
            file_handler=file_handler,
        )


def log_file_problem() -> str | None:
    """Why the log file cannot be written right now (plain words), or None."""
    handler = _state.get("file_handler")
    return handler.problem() if isinstance(handler, ResilientFileHandler) else None


def _stop_locked() -> None:
    listener = _state.pop("listener", None)
    handler = _state.pop("handler", None)
    if isinstance(handler, logging.Handler):
        logging.getLogger().removeHandler(handler)
    if isinstance(listener, logging.handlers.QueueListener):
        listener.stop()
        for h in listener.handlers:
            h.close()
    _state.clear()


def shutdown_logging() -> None:
    """Flush and close the log files (tests, process exit)."""
    with _lock:
        _stop_locked()
