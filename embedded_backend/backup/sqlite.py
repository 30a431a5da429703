"""SQLite: an online, consistent copy with the sqlite3 backup API, and its checks.

:func:`copy_database` copies the whole database in **one** ``sqlite3_backup_step(-1)``,
which holds a single read transaction on the source for the length of the copy. Vigia's
database is in WAL mode, where a reader never blocks writers: the backend keeps
committing (to the WAL) while the copy reads the snapshot that was current when it
started. Because it is one step, the copy never restarts when a writer commits (a
page-by-page backup restarts on every foreign write and, under constant load, may never
finish). The WAL cannot be checkpointed past the copy's snapshot while it runs, so it
grows by what is written during the copy and shrinks at the next checkpoint.

The copy is converted to rollback-journal mode (a single self-contained file), checked
with ``PRAGMA integrity_check`` and counted before it is given its final name.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Literal

from embedded_backend.backup.errors import BackupFailed
from embedded_backend.backup.folder import free_bytes
from embedded_backend.backup.manifest import Check, Manifest, compare_with_manifest
from embedded_backend.backup.result import DumpResult

SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_READONLY = 8
SQLITE_IOERR = 10
LOW_SPACE = 1024 * 1024  # an I/O error with less free space than this is a full disk


def _uri(path: Path, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{path.resolve().as_uri()}?{query}"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _dest_error(exc: sqlite3.Error, dest: Path) -> OSError | BackupFailed:
    """Errors of the destination are the folder's problem (full, read-only)."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    free = free_bytes(dest.parent)
    # SQLite reports a full disk as SQLITE_FULL, or as an I/O error when growing its
    # shared-memory or journal file fails: judge the latter by the space left.
    if primary == SQLITE_FULL or (
        primary == SQLITE_IOERR and free is not None and free < LOW_SPACE
    ):
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dest))
    if primary in (SQLITE_READONLY, SQLITE_CANTOPEN):
        return OSError(errno.EROFS, "cannot write the copy", str(dest))
    return BackupFailed(f"the SQLite copy could not be written to {dest}: {exc}")


def open_source(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
    """A read-only-in-practice connection to an existing database (never creates one)."""
    if not path.is_file():
        raise BackupFailed(
            f"there is no database at {path} to back up; start Vigia once to create it, "
            "or check VIGIA_DATABASE_URL"
        )
    try:
        conn = sqlite3.connect(_uri(path, mode="rw"), uri=True, timeout=busy_timeout_s)
        conn.execute("PRAGMA query_only = ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        raise BackupFailed(
            f"cannot read the database {path} ({exc}); is it a Vigia database on a local disk?"
        ) from None
    return conn


def database_size(path: Path, busy_timeout_s: float = 5.0) -> int:
    """Bytes the copy will take: the database's pages as committed now."""
    with closing(open_source(path, busy_timeout_s)) as conn:
        pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    return pages * page_size


def copy_database(source: Path, dest: Path, busy_timeout_s: float = 5.0) -> None:
    """Copy the live database ``source`` into the new or empty file ``dest``, consistently,
    without blocking its writers (WAL); ``dest`` ends up a single rollback-journal file.

    Also usable the other way round: a backup file into a new database file.
    """
    with closing(open_source(source, busy_timeout_s)) as src:
        try:
            dst = sqlite3.connect(dest, timeout=busy_timeout_s)
        except sqlite3.Error as exc:
            raise _dest_error(exc, dest) from None
        with closing(dst):
            try:
                # The copy is private until renamed: no journal, no syncs (fsynced at the end).
                dst.execute("PRAGMA journal_mode = OFF")
                dst.execute("PRAGMA synchronous = OFF")
                src.backup(dst, pages=-1)  # one step: one read transaction, no restarts
                mode = dst.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            except sqlite3.Error as exc:
                raise _dest_error(exc, dest) from None
            if str(mode).lower() != "delete":  # pragma: no cover - SQLite always can here
                raise BackupFailed(f"the SQLite copy stayed in {mode} mode")


def inspect(path: Path) -> tuple[str, str | None, dict[str, int]]:
    """(integrity_check result, alembic revision, rows per table) of a database file,
    opened read-only and immutable (nothing is written, not even a journal)."""
    try:
        conn = sqlite3.connect(_uri(path, mode="ro", immutable="1"), uri=True)
    except sqlite3.Error as exc:
        return f"cannot be opened: {exc}", None, {}
    with closing(conn):
        try:
            # Reading through a memory map roughly halves integrity_check's time on a
            # big file (SQLite caps the size at its compile-time maximum).
            conn.execute(f"PRAGMA mmap_size = {int(path.stat().st_size)}")
            rows = conn.execute("PRAGMA integrity_check").fetchall()
            result = "; ".join(str(r[0]) for r in rows[:5])
            if result != "ok":
                return result, None, {}
            tables = [
                str(r[0])
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            counts = {}
            for table in tables:
                sql = f"SELECT count(*) FROM {_quote(table)}"  # noqa: S608 - quoted identifier
                counts[table] = int(conn.execute(sql).fetchone()[0])
            revision = None
            if "alembic_version" in counts:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = str(row[0]) if row else None
        except sqlite3.DatabaseError as exc:
            return f"not a readable database: {exc}", None, {}
        except OSError as exc:
            return f"cannot be read: {exc.strerror}", None, {}
    return "ok", revision, counts


class SqliteSource:
    kind: Literal["sqlite"] = "sqlite"

    def __init__(self, path: Path, busy_timeout_s: float) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self.description = str(path)

    def required_space(self) -> int | None:
        return database_size(self.path, self.busy_timeout_s)

    def source_size(self) -> int | None:
        try:
            return self.path.stat().st_size
        except OSError:
            return None

    def dump(self, dest: Path) -> DumpResult:
        size = self.source_size()
        copy_database(self.path, dest, self.busy_timeout_s)
        integrity, revision, counts = inspect(dest)
        if integrity != "ok":
            raise BackupFailed(
                f"the copy of {self.path} failed SQLite's integrity check ({integrity[:300]}); "
                "the database itself may be damaged. Keep your older backups and contact "
                "support before changing anything"
            )
        checks = (
            Check(name="integrity_check", ok=True, detail="ok"),
            Check(name="row_counts", ok=True, detail=f"{len(counts)} tables counted"),
        )
        return DumpResult(
            revision, counts, size, f"sqlite3 backup API {sqlite3.sqlite_version}", checks
        )


def verify(path: Path, manifest: Manifest) -> list[Check]:
    """Integrity check on the file opened read-only; rows and revision as when made."""
    integrity, revision, counts = inspect(path)
    checks = [
        Check(
            name="integrity_check",
            ok=integrity == "ok",
            detail="ok"
            if integrity == "ok"
            else f"SQLite says the file is damaged: {integrity[:300]}",
        )
    ]
    if integrity != "ok":
        return checks
    return checks + compare_with_manifest(
        manifest,
        counts,
        revision,
        same=f"{len(counts)} tables as when made",
        differ="the row counts differ from when the backup was made",
    )
