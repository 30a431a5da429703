"""The rotated JSON log file, made to outlive a full (or read-only) disk.

The standard handler reports every failed write with ``--- Logging error ---`` and a
traceback on stderr, once per log line, forever. Here a failed write instead:

- says so **once**, in one plain line on stderr, and from then on through
  :meth:`ResilientFileHandler.problem` (health shows it: ``logs:file``);
- drops log lines (counted), trying the file again at most every :data:`RETRY_S`;
- when a write works again, first writes a line saying how many were dropped, after
  a newline if the file ended in the middle of a line cut short by the full disk.

Requests never see any of it: the handler runs in the logging queue's listener thread.
"""

from __future__ import annotations

import contextlib
import io
import logging
import logging.handlers
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

RETRY_S = 1.0


class ResilientFileHandler(logging.handlers.RotatingFileHandler):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._guard = threading.Lock()
        self._failed = False
        self._since: datetime | None = None
        self._reason = ""
        self._dropped = 0
        self._next_try = 0.0

    # -- what health reads ---------------------------------------------------------------

    def problem(self) -> str | None:
        with self._guard:
            if self._since is None:
                return None
            since = self._since.astimezone().strftime("%H:%M:%S")
            return (
                f"cannot write the log file {self.baseFilename} since {since} "
                f"({self._reason}); {self._dropped} log lines dropped so far. Free space on "
                "that disk: Vigia keeps serving and resumes logging by itself"
            )

    # -- writing -------------------------------------------------------------------------

    def emit(self, record: logging.LogRecord) -> None:
        if self._since is not None:
            if time.monotonic() < self._next_try:
                self._count_dropped()
                return
            self._drop_stream()  # try a fresh file handle
        self._failed = False
        super().emit(record)
        if self._failed:
            self._count_dropped()
            self._drop_stream()
            self._next_try = time.monotonic() + RETRY_S
        elif self._since is not None:
            self._recovered()

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        self._failed = True
        if self._since is not None:
            return
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        with self._guard:
            self._since = datetime.now(UTC)
            self._reason = str(reason).lower()
        stderr = sys.stderr
        if stderr is not None:
            try:
                stderr.write(
                    f"Vigia cannot write its log file {self.baseFilename} ({self._reason}); "
                    "log lines are dropped (and counted) until it can. Free space on that "
                    "disk\n"
                )
                stderr.flush()
            except (OSError, ValueError):
                pass

    def _open(self) -> io.TextIOWrapper:
        stream = super()._open()
        if self._since is not None and stream.tell() > 0 and not self._ends_with_newline():
            stream.write("\n")  # the line cut short when the disk filled up
        return stream

    def _ends_with_newline(self) -> bool:
        try:
            with Path(self.baseFilename).open("rb") as existing:
                existing.seek(-1, 2)
                return existing.read(1) == b"\n"
        except OSError:
            return True

    def _count_dropped(self) -> None:
        with self._guard:
            self._dropped += 1

    def _drop_stream(self) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.close()  # flushing what the disk refused fails again: drop it

    def _recovered(self) -> None:
        with self._guard:
            since, dropped, reason = self._since, self._dropped, self._reason
            self._since, self._dropped = None, 0
        note = logging.LogRecord(
            "embedded_backend.logs",
            logging.WARNING,
            __file__,
            0,
            "the log file could be written again; %d log lines were dropped since %s (%s)",
            (dropped, since.isoformat(timespec="seconds") if since else "?", reason),
            None,
        )
        super().emit(note)
