"""Backups Vigia makes on its own (actor ``vigia``): the daily one, followed by
retention, and the one taken before the database schema is migrated.

Blocking, like the rest of the package: the scheduler (:mod:`.schedule`) runs
:func:`scheduled_backup` in a worker thread; the lifespan calls :func:`migrate_with_backup`
from its database preparation, which already runs in a worker thread.

Each backup made here is audited exactly once, here (``backup.create`` with its
``trigger``), with the same ``detail`` the CLI writes for its own (actor ``cli``):
:func:`~embedded_backend.backup.create_backup` itself records nothing. A prune that
deleted something is audited as ``backup.prune``.

Before a migration: only an upgrade of an existing schema is backed up (the database has
a revision this Vigia knows, older than head). A fresh database has nothing to lose, and
a schema newer than this Vigia is refused by the migration itself. If that backup fails,
nothing is migrated: the start fails with a :class:`DatabaseError` that says why, the
server stays not-ready with that reason, and the lifespan keeps retrying (a new backup
attempt each time) until a backup succeeds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from embedded_backend.backup.auditing import record_action
from embedded_backend.backup.create import create_backup
from embedded_backend.backup.errors import BackupBusy, BackupError
from embedded_backend.backup.listing import Backup
from embedded_backend.backup.retention import prune_backups
from embedded_backend.config import Settings
from embedded_backend.db.database import Database
from embedded_backend.db.migrate import (
    current_revision,
    head_revision,
    known_revisions,
    migrate_to_head,
)
from embedded_backend.errors import DatabaseError

log = logging.getLogger(__name__)

ACTOR = "vigia"
# How long a pre-migration backup waits for another backup operation (the CLI, another
# Vigia) to finish before the start attempt fails and is retried.
PRE_MIGRATION_WAIT_S = 10.0
# Retention right after the scheduled backup: the lock was just released, so only a
# restore or a CLI prune can be in the way.
PRUNE_WAIT_S = 10.0

# (action, target, detail): writes one audit row, or does nothing.
Audit = Callable[[str, str | None, dict[str, Any]], object]


def created_detail(backup: Backup) -> dict[str, Any]:
    """The ``detail`` of a ``backup.create`` audit row (as the CLI writes it)."""
    return {"ok": True, "trigger": backup.trigger, "size": backup.size, "source": backup.source}


def scheduled_backup(settings: Settings, audit: Audit) -> Backup:
    """Make the scheduled backup, audit it, then apply retention; return the backup.

    Raises :class:`BackupBusy` (not audited: nothing was attempted) and the other
    :class:`BackupError` (audited with ``ok: false``). A retention failure is only logged:
    the backup exists, and the next scheduled one prunes again.
    """
    try:
        backup = create_backup(settings, "schedule")
    except BackupBusy:
        raise
    except BackupError as exc:
        audit("backup.create", None, {"ok": False, "trigger": "schedule", "error": str(exc)})
        raise
    audit("backup.create", backup.id, created_detail(backup))
    try:
        result = prune_backups(settings, wait_s=PRUNE_WAIT_S)
    except BackupError as exc:
        log.warning("old backups were not pruned after the scheduled backup: %s; the next "
                    "scheduled backup prunes again", exc)  # fmt: skip
        return backup
    if result.deleted:
        audit(
            "backup.prune",
            None,
            {"deleted": [d.backup.id for d in result.deleted], "kept": len(result.kept)},
        )
    return backup


def backup_before_migration(settings: Settings, engine: Engine) -> Backup | None:
    """A ``pre-migration`` backup when the schema is about to be upgraded; ``None`` when
    no migration of existing data is due. Raises :class:`DatabaseError` (plain reason)
    when the backup fails: the caller must then not migrate."""
    before = current_revision(engine)
    head = head_revision()
    if before is None or before == head or before not in known_revisions():
        return None
    log.info("the database schema is at revision %s and this Vigia needs %s: backing up the "
             "database before migrating it", before, head)  # fmt: skip
    try:
        return create_backup(settings, "pre-migration", wait_s=PRE_MIGRATION_WAIT_S)
    except BackupError as exc:
        raise DatabaseError(
            f"the database schema must be migrated from revision {before} to {head}, but the "
            f"backup taken first failed: {exc}. Nothing was migrated; Vigia tries again "
            "(a new backup first) until it succeeds"
        ) from None


def migrate_with_backup(settings: Settings, db: Database) -> str:
    """Migrate to head, backing up first when existing data is upgraded; return the
    revision now in the database. The backup is audited once the schema is at head (the
    audit table has its current shape only then)."""
    backup = backup_before_migration(settings, db.engine)
    revision = migrate_to_head(db.engine)
    if backup is not None:
        record_action(db, ACTOR, "backup.create", backup.id, created_detail(backup))
    return revision
