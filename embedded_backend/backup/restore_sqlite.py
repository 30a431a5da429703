"""Restoring a SQLite backup: a prepared copy beside the live file, then one rename.

``prepare``, ``migrate``, ``seal`` (the live database is not touched, the backend keeps
serving): the backup is copied with the SQLite backup API into ``.<live name>.restoring``
in the live file's folder (same file system, so the final rename is atomic), given the
live file's permissions, and, for a backup made by an older Vigia, migrated to the
current schema. ``seal`` leaves it a single rollback-journal file
(``journal_mode=DELETE``: nothing of it lives in a ``-wal`` the rename would leave
behind), fsynced.

``swap`` (the caller has closed every connection of this process: the gate is closed
and the engine disposed):

1. open the live file and switch it to ``journal_mode=DELETE``. SQLite only allows that
   when no other connection, in any process, has the file open; if one has, the restore
   is refused here and nothing has changed. It also folds the ``-wal`` into the file
   and deletes ``-wal`` and ``-shm``;
2. delete any ``-wal`` / ``-shm`` / ``-journal`` still there. A stale WAL or journal
   beside the new file would be applied to it and corrupt it, which is why this is only
   done once no connection is left. (When the live file could not be backed up, it is
   damaged: the file is first hard-linked, or copied where links are not possible, to
   ``<name>.replaced-<UTC yyyymmdd-hhmmss>`` and these side files are moved beside that
   name instead of deleted, so nothing of it is lost.)
3. ``os.replace`` the prepared copy over the live file, fsync the folder.

The backend's engine then reconnects lazily to the new file (and switches it back to
WAL). On Windows ``os.replace`` fails while any program holds the file open; step 1
refuses that case first, and a failure of step 3 leaves the old file in place.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from embedded_backend.backup import sqlite
from embedded_backend.backup.errors import DiskFullError, RestoreFailed, RestoreRefused
from embedded_backend.backup.folder import (
    folder_error,
    format_size,
    free_bytes,
    fsync_dir,
    fsync_file,
)
from embedded_backend.backup.listing import Backup
from embedded_backend.config import Settings
from embedded_backend.db.engine import create_db_engine
from embedded_backend.db.migrate import migrate_to_head

log = logging.getLogger(__name__)

SIDE_FILES = ("-wal", "-shm", "-journal")
EXCLUSIVE_WAIT_S = 2.0  # how long to wait for another connection to let go of the file
SPACE_MARGIN = 16 * 1024 * 1024


def _side(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _unlink_all(path: Path) -> None:
    for suffix in ("", *SIDE_FILES):
        _side(path, suffix).unlink(missing_ok=True)


class SqliteTarget:
    """The live SQLite file of the settings, and the prepared copy beside it."""

    def __init__(self, settings: Settings, live: Path) -> None:
        self.settings = settings
        self.live = live
        self.prepared = live.with_name(f".{live.name}.restoring")
        self.description = str(live)
        self.keep_replaced = False
        self.aside = live.with_name(f"{live.name}.replaced-{datetime.now(UTC):%Y%m%d-%H%M%S}")

    def replaced_location(self) -> str | None:
        return str(self.aside)

    def prepare(self, backup: Backup) -> None:
        _unlink_all(self.prepared)  # what an interrupted restore left
        free = free_bytes(self.live.parent)
        needed = backup.size + SPACE_MARGIN
        if free is not None and free < needed:
            raise DiskFullError(
                f"not enough free space beside the database in {self.live.parent} to "
                f"restore: the restored copy needs about {format_size(needed)}, "
                f"{format_size(free)} are free. Free some space; nothing was changed"
            )
        try:
            busy_s = self.settings.sqlite_busy_timeout_ms / 1000
            sqlite.copy_database(backup.path, self.prepared, busy_s)
            if self.live.exists():
                self.prepared.chmod(self.live.stat().st_mode & 0o777)
        except OSError as exc:
            _unlink_all(self.prepared)
            raise folder_error(exc, self.live.parent, "write the restored database") from None
        except BaseException:
            _unlink_all(self.prepared)
            raise

    def migrate(self) -> str:
        engine = create_db_engine(self.settings, f"sqlite:///{self.prepared}")
        try:
            return migrate_to_head(engine)
        finally:
            engine.dispose()

    def seal(self) -> None:
        """Leave the prepared copy as one self-contained file, synced to disk."""
        with closing(sqlite3.connect(self.prepared, isolation_level=None)) as conn:
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        if str(mode).lower() != "delete":  # pragma: no cover - nothing else opens it
            raise RestoreFailed(f"the restored copy stayed in {mode} mode; nothing was changed")
        fsync_file(self.prepared)

    def swap(self) -> None:
        if self.live.exists():
            self._take_over_live()
            if self.keep_replaced:
                self._keep_aside()
        for suffix in SIDE_FILES:
            _side(self.live, suffix).unlink(missing_ok=True)
        try:
            self.prepared.replace(self.live)  # os.replace: atomic, same folder
        except OSError as exc:
            raise RestoreFailed(
                f"could not put the restored database in place of {self.live} "
                f"({exc.strerror}); the old database is still there, unchanged. Close any "
                "program that has it open and try again"
            ) from None
        fsync_dir(self.live.parent)
        log.info("restore: %s replaced", self.live)

    def _take_over_live(self) -> None:
        """Make sure no connection (of any process) has the live file open."""
        try:
            conn = sqlite3.connect(self.live, timeout=EXCLUSIVE_WAIT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise RestoreRefused(f"cannot open {self.live} ({exc}); nothing was changed") from None
        with closing(conn):
            try:
                mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise RestoreRefused(
                        f"another program has the database {self.live} open (another Vigia, "
                        "'vigia serve', or a database tool); close it and try again. "
                        "Nothing was changed"
                    ) from None
                raise RestoreRefused(
                    f"cannot take over {self.live} ({exc}); nothing was changed"
                ) from None
            except sqlite3.DatabaseError:
                mode = "delete"  # the live file is damaged: replacing it is the point
        if str(mode).lower() != "delete":  # pragma: no cover
            raise RestoreRefused(f"{self.live} stayed in {mode} mode; nothing was changed")

    def _keep_aside(self) -> None:
        try:
            try:
                os.link(self.live, self.aside)
            except OSError:  # no hard links here (FAT, some network shares): copy
                shutil.copy2(self.live, self.aside)
            for suffix in SIDE_FILES:
                side = _side(self.live, suffix)
                if side.exists():
                    side.replace(_side(self.aside, suffix))
        except OSError as exc:
            raise RestoreFailed(
                f"could not keep the old database aside as {self.aside} ({exc.strerror}); "
                "nothing was replaced"
            ) from None
        log.warning("restore: the old database is kept as %s", self.aside)

    def discard(self) -> None:
        _unlink_all(self.prepared)

    def finish(self) -> str | None:
        return None
