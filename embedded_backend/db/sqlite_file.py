"""The SQLite file under a running server: deleted, replaced, read-only, or on a full disk.

On Linux and macOS a deleted file lives on while it is open: SQLite keeps writing into
the unlinked inode, every answer says "saved", and all of it vanishes at the next start.
So each pooled connection remembers the identity (device, inode) of the file it opened
(db/engine.py), and every write compares it with what the path names now, inside its
``BEGIN IMMEDIATE``: a write never lands in a file nobody can open again.

When the file was **deleted**, the open connections still hold all of it, so
:func:`put_back` copies it back to its path with the SQLite backup API (the gate is
closed meanwhile, as for a restore) and the write goes on: nothing is lost. When the path
now names **another** file, changes are refused until a restart (Vigia cannot know
which of the two is the right one). A **read-only** file or a **full disk** refuse
changes with plain words and heal by themselves once fixed.

Windows refuses to delete or replace a file that is open, so there only the read-only
and disk-full cases can happen.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from embedded_backend.db.gate import Maintenance
from embedded_backend.errors import DatabaseFileError, MaintenanceError

if TYPE_CHECKING:
    from embedded_backend.db.database import Database

log = logging.getLogger(__name__)

FileId = tuple[int, int]
CLOSE_TIMEOUT_S = 10.0  # how long putting the file back waits for open sessions


def file_id(path: Path) -> FileId | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _side(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def deleted(path: Path, why: str) -> DatabaseFileError:
    return DatabaseFileError(
        f"the database file {path} was deleted while Vigia was running and could not be "
        f"put back ({why}); changes are refused so that none is lost. Put the file back or "
        "restore the newest backup (vigia backup restore), then restart Vigia",
        "deleted",
    )


def replaced(path: Path) -> DatabaseFileError:
    return DatabaseFileError(
        f"the database file {path} was replaced by another file while Vigia was running; "
        "changes are refused so that none goes to the old one. Restart Vigia to use the "
        "new file, or restore a backup from Vigia instead",
        "replaced",
    )


def read_only(path: Path) -> DatabaseFileError:
    return DatabaseFileError(
        f"the database file {path} is read-only, so changes cannot be saved; reading "
        "still works. Make the file (and its folder's disk) writable again; Vigia resumes "
        "by itself",
        "read_only",
    )


def disk_full(path: Path) -> DatabaseFileError:
    return DatabaseFileError(
        f"the disk holding the database {path} is full, so changes cannot be saved; "
        "reading still works. Free some space on it; Vigia resumes by itself",
        "disk_full",
    )


def identity_problem(path: Path, opened: FileId | None) -> DatabaseFileError | None:
    """Does ``path`` still name the file a connection opened as ``opened``?"""
    if opened is None:
        return None
    now = file_id(path)
    if now is None:
        return deleted(path, "not attempted yet")
    if now != opened:
        return replaced(path)
    return None


def writability_problem(path: Path) -> DatabaseFileError | None:
    """A read-only file (permissions, immutable flag, read-only file system), by asking
    the kernel (``access``), which also answers for root."""
    for file in (path, _side(path, "-wal")):
        if file.exists() and not os.access(file, os.W_OK):
            return read_only(path)
    return None


def explain_write_failure(path: Path, message: str) -> DatabaseFileError | None:
    """Turn SQLite's words for a failed write into the file's problem, when it is one."""
    text = message.lower()
    if "readonly" in text or "read-only" in text:
        return read_only(path)
    if "disk is full" in text:
        return disk_full(path)
    if "disk i/o error" in text:
        return writability_problem(path)
    return None


def has_room(path: Path | None, margin: int = 1024 * 1024) -> bool:
    """More than ``margin`` bytes free beside the database (a full disk was freed)."""
    if path is None:
        return True
    try:
        return shutil.disk_usage(path.parent).free > margin
    except OSError:
        return False


def put_back(db: Database) -> None:
    """Copy the deleted database back to its path from a connection that still has it.

    Raises :class:`DatabaseFileError` (``deleted``) when that is not possible.
    """
    path = db.sqlite_path
    assert path is not None
    started = time.monotonic()
    try:
        db.gate.begin_maintenance(Maintenance("putting back the deleted database file"))
    except MaintenanceError:
        raise deleted(path, "a restore is running") from None
    try:
        if not db.gate.close(CLOSE_TIMEOUT_S):
            raise deleted(path, "database sessions stayed open")
        if file_id(path) is not None:
            return  # someone put it (or another file) there meanwhile; the write re-checks
        _copy_from_open_connection(db, path)
    finally:
        db.gate.end_maintenance()
    log.warning(
        "the database file %s was deleted while Vigia was running; it was put back from "
        "the open database in %.2f s, nothing was lost",
        path,
        time.monotonic() - started,
    )


def _copy_from_open_connection(db: Database, path: Path) -> None:
    from embedded_backend.db.engine import FILE_ID

    # An idle pooled connection still has the unlinked file open (new ones cannot open
    # it: after the first start they use mode=rw, which does not create a file).
    try:
        raw = db.engine.raw_connection()
    except Exception as exc:  # noqa: BLE001 - whatever it is, the file cannot be copied
        raise deleted(path, f"no open connection to copy it from: {exc}") from None
    temporary = _side(path.with_name(f".{path.name}"), ".putback")
    try:
        if raw.info.get(FILE_ID) is None:
            raise deleted(path, "no open connection to copy it from")
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.unlink(missing_ok=True)
        with closing(sqlite3.connect(temporary, isolation_level=None)) as copy:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
        with temporary.open("rb+") as handle:
            os.fsync(handle.fileno())
    except (OSError, sqlite3.Error) as exc:
        temporary.unlink(missing_ok=True)
        raise deleted(path, str(exc)) from None
    finally:
        raw.close()
    # Close every connection to the old file first: the last one to close removes the
    # -wal and -shm by name, which must not happen beside the new file.
    db.engine.dispose()
    for suffix in ("-wal", "-shm", "-journal"):
        _side(path, suffix).unlink(missing_ok=True)
    temporary.replace(path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # pragma: no cover - Windows cannot open a directory
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
