"""Errors of the backup package.

The tree (all derive from :class:`embedded_backend.errors.Error`, so the CLI prints them
as one line and the API can translate them)::

    BackupError
    ├── BackupBusy           another backup, prune or restore holds the backup lock
    ├── BackupNotFound       no backup with that id in the folder
    ├── BackupFolderError    the backup folder cannot be created or written
    │   └── DiskFullError    not enough free space (nothing half-written is left behind)
    ├── ToolMissing          pg_dump / pg_restore / mariadb-dump / mariadb not installed
    ├── BackupFailed         the copy or dump itself failed, or the copy did not check out
    │   ├── ScratchUnavailable   no scratch database can be made for a test restore
    │   └── RestoreFailed        a restore stopped half-way (the message says what state
    │                            the live database is in; it is untouched unless it says so)
    └── RestoreRefused       a restore refused before changing anything (bad backup, newer
                             schema, another kind of database, another program using it)

Messages are plain words that say what to do; they never contain a password.
"""

from __future__ import annotations

from embedded_backend.errors import Error


class BackupError(Error):
    """Base class of every backup error."""


class BackupBusy(BackupError):
    """The backup lock is held by another backup, prune or restore."""


class BackupNotFound(BackupError):
    """No backup with the given id."""


class BackupFolderError(BackupError):
    """The backup folder cannot be created or written."""


class DiskFullError(BackupFolderError):
    """Not enough free space for the backup."""


class ToolMissing(BackupError):
    """A database client program the backup needs is not installed."""


class BackupFailed(BackupError):
    """The copy or dump failed, or the copy it made did not pass its checks."""


class ScratchUnavailable(BackupFailed):
    """The server refused a scratch database (no right to create databases): the test
    restore could not run. Says nothing about the backup itself."""


class RestoreFailed(BackupFailed):
    """A restore could not be completed; the message says whether the live database was
    changed (normally not: every step that can fail comes before the swap)."""


class RestoreRefused(BackupError):
    """A restore refused before anything was changed; the live database is untouched."""
