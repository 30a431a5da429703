"""Why changes are refused right now, for health: the last refused write's reason.

A lock held by another program or a read-only file does not show in a ``SELECT 1``
(reading goes on), so the write path records what refused the last change here and the
next successful change clears it; health reports it, re-checking first whether it is
still true (db/database.py ``write_health``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

NOTICE_S = 600.0  # how long health mentions a problem Vigia repaired by itself


def locked_message(path: Path | None, waited_s: float) -> str:
    where = f"the database file {path}" if path else "the database"
    return (
        f"{where} is locked by another program (a database tool, a backup or sync "
        f"program, or another Vigia), and this change waited {waited_s:g} s for it without "
        "getting its turn; nothing was saved. Reading still works. Try again shortly; if "
        "this lasts, close the program that has the database open"
    )


def locked_status(path: Path | None, waited_s: float) -> str:
    """The same, said of the server rather than of one change (health)."""
    where = f"the database file {path}" if path else "the database"
    return (
        f"{where} is locked by another program (a database tool, a backup or sync "
        f"program, or another Vigia); changes fail after waiting {waited_s:g} s for it, "
        "reading still works. Close the program that has the database open"
    )


def queue_message(waited_s: float) -> str:
    return (
        f"the database is busy with other changes from this server, and this change "
        f"waited {waited_s:g} s without getting its turn; nothing was saved. Try again shortly"
    )


@dataclass(frozen=True)
class Trouble:
    kind: str  # "locked", "read_only", "disk_full", "deleted", "replaced", "queue"
    message: str
    since: datetime


class WriteTrouble:
    """Thread-safe; cheap when there is nothing to report (one attribute read)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: Trouble | None = None
        self._notice: tuple[float, str] | None = None

    @property
    def current(self) -> Trouble | None:
        return self._current

    def set(self, kind: str, message: str) -> None:
        with self._lock:
            since = self._current.since if self._current and self._current.kind == kind else None
            self._current = Trouble(kind, message, since or datetime.now(UTC))

    def clear(self) -> None:
        if self._current is None:
            return
        with self._lock:
            self._current = None

    def notice(self, message: str) -> None:
        """Something Vigia repaired by itself: health mentions it for a while."""
        with self._lock:
            self._notice = (time.monotonic(), message)

    @property
    def recent_notice(self) -> str | None:
        notice = self._notice
        if notice is None or time.monotonic() - notice[0] > NOTICE_S:
            return None
        return notice[1]
