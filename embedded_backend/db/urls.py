"""Normalise database URLs and refuse locations SQLite cannot use safely."""

from __future__ import annotations

import os
import sys
from pathlib import Path, PureWindowsPath

import psutil
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from embedded_backend.errors import ConfigError, UnsupportedDatabase

# File systems on which SQLite's WAL (shared memory) must not be used.
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb3",
        "smbfs",
        "sshfs",
        "fuse.sshfs",
        "9p",
        "afs",
        "ceph",
        "glusterfs",
        "fuse.glusterfs",
        "davfs",
        "fuse.rclone",
        "ncpfs",
    }
)

_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}


def parse_database_url(raw: str) -> URL:
    """Parse a URL and pick the drivers Vigia ships (psycopg 3, PyMySQL)."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            "VIGIA_DATABASE_URL is not a database URL (expected e.g. "
            "sqlite:///C:/data/vigia.db or postgresql://user@host/db)"
        ) from None
    if url.drivername in _DRIVERS:
        url = url.set(drivername=_DRIVERS[url.drivername])
    backend = url.get_backend_name()
    if backend not in {"sqlite", "postgresql", "mysql", "mariadb"}:
        raise ConfigError(
            f"database '{backend}' is not supported; use SQLite, PostgreSQL or MariaDB"
        )
    return url


def is_network_path(path: Path) -> bool:
    """True when ``path`` lives on a network share (UNC path, mapped drive, NFS/SMB mount)."""
    text = str(path)
    if text.startswith(("\\\\", "//")):
        return True
    if sys.platform == "win32":
        return _windows_drive_is_remote(path)
    return filesystem_type(path) in NETWORK_FILESYSTEMS


def filesystem_type(path: Path) -> str | None:
    """The file system type of the mount holding ``path`` (POSIX)."""
    target = os.path.realpath(path)
    best: tuple[int, str] | None = None
    for part in psutil.disk_partitions(all=True):
        mount = part.mountpoint.rstrip("/") or "/"
        inside = target == mount or target.startswith(mount.rstrip("/") + "/") or mount == "/"
        if inside and (best is None or len(mount) > best[0]):
            best = (len(mount), part.fstype.lower())
    return best[1] if best else None


def _windows_drive_is_remote(path: Path) -> bool:  # pragma: no cover - Windows only
    import ctypes

    drive = PureWindowsPath(path.resolve()).drive
    if not drive:
        return False
    drive_remote = 4
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    return bool(kernel32.GetDriveTypeW(drive + "\\") == drive_remote)


def sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for an in-memory database."""
    if url.database in (None, "", ":memory:") or (url.database or "").startswith("file::memory:"):
        return None
    return Path(url.database or "")


def check_sqlite_location(path: Path) -> None:
    if is_network_path(path):
        raise UnsupportedDatabase(
            f"the database file {path} is on a network share; SQLite in WAL mode corrupts "
            "data there. Keep vigia.db on a local disk (set VIGIA_HOME), or use PostgreSQL "
            "for a shared server"
        )
