"""One backup operation at a time per backup folder.

Creating a backup, pruning and (later) restoring take :class:`BackupLock`. It is an OS
file lock (``filelock``: ``flock`` on POSIX, ``LockFileEx`` on Windows), so the system
drops it when the holder dies, even by SIGKILL: a stale lock cannot exist. Beside it the
holder writes who it is (pid, action, start time), only to say so in the refusal
message. Two threads of one process also exclude each other (each lock object has its
own file handle).
"""

from __future__ import annotations

import json
import logging
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import filelock

from embedded_backend.backup.errors import BackupBusy
from embedded_backend.backup.folder import LOCK_PREFIX, PRIVATE, folder_error

log = logging.getLogger(__name__)

LOCK_NAME = f"{LOCK_PREFIX}lock"
OWNER_NAME = f"{LOCK_PREFIX}owner.json"


class BackupLock:
    """``with BackupLock(folder, "create", wait_s=5): ...``; raises :class:`BackupBusy`
    when another holder keeps it longer than ``wait_s`` (0 = refuse at once)."""

    def __init__(self, folder: Path, action: str, wait_s: float = 0.0) -> None:
        self.folder = folder
        self.action = action
        self.wait_s = max(0.0, wait_s)
        self._lock = filelock.FileLock(
            folder / LOCK_NAME, timeout=self.wait_s, mode=0o600, poll_interval=0.05
        )

    def acquire(self) -> None:
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise BackupBusy(self._busy_message()) from None
        except OSError as exc:
            raise folder_error(exc, self.folder, "take the backup lock") from None
        try:
            owner = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "action": self.action,
                "since": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            fd = os.open(self.folder / OWNER_NAME, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, PRIVATE)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(owner, fh)
        except OSError as exc:
            self._lock.release()
            raise folder_error(exc, self.folder, "write into the backup folder") from None

    def release(self) -> None:
        try:
            (self.folder / OWNER_NAME).unlink(missing_ok=True)
        except OSError as exc:  # pragma: no cover - the lock itself is what matters
            log.info("could not remove %s: %s", OWNER_NAME, exc.strerror)
        self._lock.release()

    def __enter__(self) -> BackupLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def _busy_message(self) -> str:
        owner = lock_owner(self.folder)
        who = "another Vigia process"
        if owner:
            who = f"process {owner.get('pid')} ({owner.get('action')}, since {owner.get('since')})"
        waited = f" after waiting {self.wait_s:g} s" if self.wait_s else ""
        return (
            f"another backup operation is running in {self.folder}: {who}; "
            f"cannot {self.action}{waited}. Try again when it has finished"
        )


def lock_owner(folder: Path) -> dict[str, Any] | None:
    """Who holds (or last held, if it was killed) the lock; ``None`` if unknown."""
    try:
        data = json.loads((folder / OWNER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
