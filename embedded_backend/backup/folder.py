"""The backup folder: where it is, how files in it are named, and writing into it safely.

Layout of a folder (``$VIGIA_HOME/backups`` or ``backup_dir``)::

    vigia-20261123-170000-a1b2.sqlite3    data (SQLite copy; .pgdump / .sql for the servers)
    vigia-20261123-170000-a1b2.json       its manifest, written last
    .vigia-20261123-170000-a1b2.sqlite3.partial   while being written (never listed)
    .vigia-backup.lock, .vigia-backup.owner.json  the one-at-a-time lock (see lock.py)

Every file is created readable by the user only (0600 on POSIX), reaches its final name
by an atomic rename after an fsync, and the folder is fsynced after the rename.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import sys
from datetime import datetime
from pathlib import Path

from embedded_backend.backup.errors import BackupFolderError, DiskFullError
from embedded_backend.config import Settings

PREFIX = "vigia-"
MANIFEST_SUFFIX = ".json"
PARTIAL_SUFFIX = ".partial"
DATA_SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump", "mariadb": ".sql"}
LOCK_PREFIX = ".vigia-backup."
ID_PATTERN = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{4}$")
PRIVATE = 0o600

_NO_SPACE = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}


def backup_folder(settings: Settings) -> Path:
    """The configured folder: ``backup_dir`` (relative = inside ``VIGIA_HOME``) or
    ``$VIGIA_HOME/backups``."""
    if settings.backup_dir is None:
        return settings.paths.backups
    folder = settings.backup_dir.expanduser()
    return folder if folder.is_absolute() else settings.home / folder


def ensure_folder(folder: Path) -> Path:
    """Create the folder (0700) if needed; a clear :class:`BackupFolderError` if impossible."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except FileExistsError:
        raise BackupFolderError(
            f"cannot use {folder} as the backup folder: a file with that name is in the way; "
            "move the file or set backup_dir to another folder"
        ) from None
    except OSError as exc:
        raise folder_error(exc, folder, "create the backup folder") from None
    if not folder.is_dir():  # pragma: no cover - mkdir(exist_ok) raises first
        raise BackupFolderError(f"{folder} is not a folder; set backup_dir to a folder")
    return folder


def folder_error(exc: OSError, folder: Path, doing: str) -> BackupFolderError:
    """Turn an OSError met while writing into the folder into a plain message."""
    reason = exc.strerror or type(exc).__name__
    if exc.errno in _NO_SPACE:
        free = free_bytes(folder)
        left = f" ({format_size(free)} free)" if free is not None else ""
        return DiskFullError(
            f"not enough free space in {folder} to {doing}{left}; nothing was kept of the "
            "unfinished backup. Free some space (or delete old backups with 'vigia backup "
            "prune'), or set backup_dir to a folder on a bigger disk"
        )
    if exc.errno == errno.ENOTDIR:
        return BackupFolderError(
            f"cannot {doing} in {folder}: part of that path is a file, not a folder; "
            "set backup_dir to a folder you can write to"
        )
    if exc.errno in _READ_ONLY:
        return BackupFolderError(
            f"cannot {doing} in {folder}: the folder is read-only or not yours ({reason}); "
            "set backup_dir to a folder you can write to, or fix its permissions"
        )
    return BackupFolderError(f"cannot {doing} in {folder}: {reason}")


def new_backup_id(now: datetime) -> str:
    """``YYYYMMDD-HHMMSS-xxxx`` from a UTC time plus 4 random hex digits."""
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def data_name(backup_id: str, source: str) -> str:
    return f"{PREFIX}{backup_id}{DATA_SUFFIXES[source]}"


def manifest_name(backup_id: str) -> str:
    return f"{PREFIX}{backup_id}{MANIFEST_SUFFIX}"


def partial_path(folder: Path, final_name: str) -> Path:
    """The temporary (hidden) name a file has until it is complete."""
    return folder / f".{final_name}{PARTIAL_SUFFIX}"


def is_partial(name: str) -> bool:
    return name.startswith(f".{PREFIX}") and PARTIAL_SUFFIX in name


def create_private(path: Path) -> None:
    """Create an empty file readable by the user only; fail if it exists."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0), PRIVATE)
    os.close(fd)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; Windows has no directory fsync)."""
    if sys.platform == "win32":  # pragma: no cover
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(temporary: Path, final: Path) -> None:
    """fsync ``temporary``, rename it to ``final`` atomically, fsync the folder."""
    temporary.chmod(PRIVATE)
    fsync_file(temporary)
    temporary.replace(final)
    fsync_dir(final.parent)


def write_private(final: Path, data: bytes) -> None:
    """Write ``data`` to ``final`` atomically (temp name, fsync, rename); 0600."""
    temporary = partial_path(final.parent, final.name)
    temporary.unlink(missing_ok=True)
    try:
        fd = os.open(
            temporary,
            os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0),
            PRIVATE,
        )
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        temporary.replace(final)
        fsync_dir(final.parent)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def remove_partials(folder: Path) -> list[str]:
    """Delete what interrupted backups left (``.vigia-*.partial*``); call it holding the
    lock. Returns the names removed."""
    removed: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if is_partial(entry.name) and entry.is_file(follow_symlinks=False):
            try:
                Path(entry.path).unlink()
            except FileNotFoundError:
                continue
            removed.append(entry.name)
    return removed


def free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def format_size(size: int | None) -> str:
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover
