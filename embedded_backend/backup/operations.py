"""What the admin API's backup jobs do: plain functions run in a job's worker thread.

Each takes the settings, the running backend's :class:`Database` (for the audit record
and, for a restore, maintenance mode), the actor (the administrator's name) and a
progress callback, and returns the JSON the job reports as its ``result``. Audit actions:
``backup.create``, ``backup.verify``, ``backup.restore`` (the last written by
:func:`restore_backup` itself, with the pre-restore backup's id).

A failed verification is a result (``ok: false`` and the problem), not a failed job: the
job did its work. A refused or failed create or restore fails the job with the plain
reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from embedded_backend.backup.auditing import record_action
from embedded_backend.backup.create import create_backup
from embedded_backend.backup.errors import BackupError
from embedded_backend.backup.jobs import Progress
from embedded_backend.backup.restore import restore_backup
from embedded_backend.backup.verify import verify_backup
from embedded_backend.config import Settings
from embedded_backend.db.database import Database

log = logging.getLogger(__name__)

CREATE_WAIT_S = 10.0  # another backup operation (e.g. the scheduled one) to finish first


def create(settings: Settings, db: Database, actor: str, progress: Progress) -> dict[str, Any]:
    progress(0.05, "backing up the database")
    try:
        backup = create_backup(settings, "manual", wait_s=CREATE_WAIT_S)
    except BackupError as exc:
        detail = {"ok": False, "trigger": "manual", "error": str(exc)}
        record_action(db, actor, "backup.create", None, detail)
        raise
    record_action(
        db,
        actor,
        "backup.create",
        backup.id,
        {"ok": True, "trigger": backup.trigger, "size": backup.size, "source": backup.source},
    )
    return backup.as_dict()


def verify(
    settings: Settings, db: Database, actor: str, backup_id: str, deep: bool, progress: Progress
) -> dict[str, Any]:
    what = "restoring it into a scratch database" if deep else "checking it"
    progress(0.05, f"verifying backup {backup_id}: {what}")
    report = verify_backup(settings, backup_id, deep=deep)
    record_action(
        db,
        actor,
        "backup.verify",
        backup_id,
        {"ok": report.ok, "deep": report.deep, "problem": report.problem},
    )
    return report.as_dict()


def restore(
    settings: Settings,
    db: Database,
    actor: str,
    backup_id: str,
    progress: Progress,
    forget_cached: Callable[[], None],
) -> dict[str, Any]:
    """``forget_cached`` empties the backend's caches (read cache, signed-in users) right
    after the swap, before anything can be read from the restored database."""
    result = restore_backup(
        settings, backup_id, db=db, actor=actor, progress=progress, after_swap=forget_cached
    )
    return result.as_dict()
