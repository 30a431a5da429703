"""Backups of the ERP database: SQLite online copies, PostgreSQL and MariaDB dumps.

Everything here is blocking (file and subprocess work): call it from a worker thread
(``anyio.to_thread.run_sync``) inside the server. The functions take the one
:class:`~embedded_backend.config.Settings` object; the folder is ``backup_dir`` or
``$VIGIA_HOME/backups`` (:func:`backup_folder`).

Making and reading backups::

    create_backup(settings, trigger="manual", *, wait_s=0.0, lock_held=False) -> Backup
        Consistent copy (SQLite backup API in one step, pg_dump -Fc,
        mariadb-dump --single-transaction), checked, published atomically (0600), then
        its manifest. trigger: "manual" | "schedule" | "pre-restore" | "pre-migration".
    list_backups(folder) -> Listing
        .backups (complete and verified, newest first), .bad and .ignored (Problem: file
        name, kind, reason), .newest(), .get(id) (BackupNotFound), .find_bad(id).
    newest_backup(folder) -> Backup | None        what health and alerts measure age by
    verify_backup(settings, id, *, deep=False, lock_held=False) -> VerifyReport
        sha256, size, integrity (SQLite integrity_check / pg_restore --list / MariaDB
        completion marker); deep adds a scratch restore (servers). The result is stored
        in the manifest; a failed backup is listed as bad from then on.
    prune_backups(settings, *, keep_daily=None, keep_weekly=None, dry_run=False,
                  wait_s=0.0) -> PruneResult
        retention.plan(...) is the pure decision function.

A :class:`Backup` has ``id``, ``created_at``, ``size``, ``trigger``, ``source``,
``path`` (the data file), ``manifest_path``, ``manifest`` (:class:`Manifest`: every
field, ``schema_revision``, ``row_counts``, ``sha256`` ...) and ``as_dict()`` (the JSON
shape of ``vigia backup list --json``: id, status, created_at, size, verified, trigger,
source, ...; :meth:`Problem.as_dict` gives the same keys for a bad entry).

For the restore (built on top of this)::

    with BackupLock(folder, "restore", wait_s):      # one backup operation at a time
        report = verify_backup(settings, id, lock_held=True)
        create_backup(settings, "pre-restore", lock_held=True)
        sqlite.copy_database(backup.path, new_db_file)     # SQLite: online copy API
        postgresql.restore_into(url, database, backup.path)   # into an empty database
        mariadb.restore_into(url, database, backup.path)
        scratch.scratch_database(url)                # a throw-away database, always dropped
    record_action(db, actor, "backup.restore", id, {...})   # audit; never raises

Errors (all :class:`~embedded_backend.errors.Error`, plain messages, no passwords):
:class:`BackupError` > :class:`BackupBusy`, :class:`BackupNotFound`,
:class:`BackupFolderError` > :class:`DiskFullError`, :class:`ToolMissing`,
:class:`BackupFailed` > :class:`ScratchUnavailable`. The API should map BackupBusy to
409, BackupNotFound to 404, the rest to 500/503 with the message.

PostgreSQL and MariaDB backups are test-restored into a scratch database when made, so
the database user needs the right to create (and drop) databases; without it the backup
is refused (:class:`ScratchUnavailable`) rather than kept unchecked.
"""

from __future__ import annotations

from embedded_backend.backup.auditing import record_action, record_with_settings
from embedded_backend.backup.create import create_backup
from embedded_backend.backup.errors import (
    BackupBusy,
    BackupError,
    BackupFailed,
    BackupFolderError,
    BackupNotFound,
    DiskFullError,
    ScratchUnavailable,
    ToolMissing,
)
from embedded_backend.backup.folder import backup_folder
from embedded_backend.backup.listing import Backup, Listing, Problem, list_backups, newest_backup
from embedded_backend.backup.lock import BackupLock
from embedded_backend.backup.manifest import TRIGGERS, Manifest, Trigger, read_manifest
from embedded_backend.backup.retention import Decision, PruneResult, plan, prune_backups
from embedded_backend.backup.verify import VerifyReport, verify_backup

__all__ = [
    "TRIGGERS",
    "Backup",
    "BackupBusy",
    "BackupError",
    "BackupFailed",
    "BackupFolderError",
    "BackupLock",
    "BackupNotFound",
    "Decision",
    "DiskFullError",
    "Listing",
    "Manifest",
    "Problem",
    "PruneResult",
    "ScratchUnavailable",
    "ToolMissing",
    "Trigger",
    "VerifyReport",
    "backup_folder",
    "create_backup",
    "list_backups",
    "newest_backup",
    "plan",
    "prune_backups",
    "read_manifest",
    "record_action",
    "record_with_settings",
    "verify_backup",
]
