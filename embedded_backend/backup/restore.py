"""Restoring a backup over the live database, with the backend running or stopped.

:func:`restore_backup` is the one implementation behind the admin API (a job in a worker
thread, ``db`` = the running backend's :class:`Database`) and ``vigia backup restore``
with the backend stopped (``db=None``). Steps, with the progress reported for each::

    0.02  verifying the backup       sha256, size, integrity (verify_backup); a bad backup
                                     is refused here, nothing changed
    0.15  preparing                  the backup copied / loaded beside the live database
                                     (restore_sqlite.py, restore_servers.py); the live
                                     database is not touched, the backend keeps serving
    0.40  migrating                  only for a backup made by an older Vigia: the prepared
                                     copy is migrated to this Vigia's schema
    0.55  maintenance                writes refused (503 + Retry-After), reads still work,
                                     health "warn: restoring backup <id>"; writes already
                                     running are waited for
    0.60  pre-restore backup         a normal backup (trigger "pre-restore") of the live
                                     database as it is now: the way back. Taken inside
                                     maintenance, so it holds every acknowledged write.
                                     A live database that cannot be backed up (damaged:
                                     the usual reason to restore) is kept aside instead
                                     of being thrown away, see below
    0.85  swapping                   gate closed (new sessions refused, open ones waited
                                     for, at most DRAIN_TIMEOUT_S), connections closed,
                                     the atomic swap, health "fail" meanwhile
    0.95  checking                   the restored database answers at this schema
    1.00  done                       maintenance ends

Everything that can fail for a reason other than a crash happens before the swap, so a
failed restore leaves the live database as it was (and leaves maintenance). The order
differs from the obvious "backup, maintenance, swap, migrate" on purpose: preparing and
migrating the copy *before* maintenance keeps the time writes are refused short (the
pre-restore backup and the swap only), and a migration that fails never meets the live
data.

Refused before anything happens (:class:`RestoreRefused`): a backup that fails
verification, one of another kind of database (a SQLite backup on a PostgreSQL Vigia),
one without a Vigia schema, and one made by a newer Vigia (its schema revision is
unknown here: it would need a downgrade this Vigia cannot do).

When the live database cannot be backed up (:class:`BackupFailed`: it is damaged, or the
dump tool fails on it), the restore goes on, since putting a good backup in place of a
damaged database is what restores are for, but nothing of the old one is deleted: the
SQLite file (and its ``-wal``) is kept beside it as ``<name>.replaced-<UTC time>``, the
server's old database is renamed and not dropped. The result says where
(``replaced_kept``) and has no ``pre_restore_backup_id``. A backup folder that is full
or unwritable is not such a failure: it stops the restore, nothing changed.

One backup operation at a time: the whole restore holds the backup folder's
:class:`BackupLock`. Every restore, done or failed, is logged and audited
(``backup.restore``, with the pre-restore backup's id) in the database as it is
afterwards.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from embedded_backend.backup.auditing import record_action, record_with_settings
from embedded_backend.backup.create import create_backup
from embedded_backend.backup.errors import (
    BackupError,
    BackupFailed,
    RestoreFailed,
    RestoreRefused,
)
from embedded_backend.backup.folder import backup_folder
from embedded_backend.backup.listing import Backup, list_backups
from embedded_backend.backup.lock import BackupLock
from embedded_backend.backup.verify import verify_backup
from embedded_backend.config import Settings
from embedded_backend.db.database import Database
from embedded_backend.db.engine import create_db_engine
from embedded_backend.db.gate import Maintenance
from embedded_backend.db.migrate import SCHEMA_HEAD, current_revision, known_revisions
from embedded_backend.db.urls import parse_database_url, sqlite_file

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]

ACTION = "backup.restore"
DRAIN_TIMEOUT_S = 30.0  # open requests to finish before the swap
LOCK_WAIT_S = 10.0  # another backup operation to finish before refusing

_KINDS = {"sqlite": "sqlite", "postgresql": "postgresql", "mysql": "mariadb", "mariadb": "mariadb"}


class Target(Protocol):
    """The live database and the prepared replacement (one per kind of database)."""

    description: str
    # Set when the live database could not be backed up: swap/finish keep it.
    keep_replaced: bool

    def prepare(self, backup: Backup) -> None: ...
    def migrate(self) -> str: ...
    def seal(self) -> None: ...
    def swap(self) -> None: ...
    def discard(self) -> None: ...
    def finish(self) -> str | None: ...
    def replaced_location(self) -> str | None: ...


@dataclass(frozen=True)
class RestoreResult:
    backup_id: str
    pre_restore_backup_id: str | None  # None: the live database could not be backed up
    pre_restore_file: str | None
    source: str
    database: str  # what was replaced, password hidden
    revision_before: str  # the backup's schema revision
    revision_after: str  # the live database's now (SCHEMA_HEAD)
    migrated: bool
    duration_s: float
    maintenance_s: float  # writes were refused this long
    swap_s: float  # everything was refused this long
    note: str | None = None  # e.g. a replaced database that could not be dropped
    replaced_kept: str | None = None  # where the old database is, when it was kept

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _quiet(_fraction: float, _step: str) -> None:
    return None


def database_kind(settings: Settings) -> str:
    return _KINDS[parse_database_url(settings.effective_database_url).get_backend_name()]


def target_for(settings: Settings) -> Target:
    url = parse_database_url(settings.effective_database_url)
    kind = _KINDS[url.get_backend_name()]
    if kind == "sqlite":
        from embedded_backend.backup.restore_sqlite import SqliteTarget

        path = sqlite_file(url)
        if path is None:
            raise RestoreRefused("an in-memory SQLite database cannot be restored into")
        return SqliteTarget(settings, path)
    if kind == "postgresql":
        from embedded_backend.backup.restore_postgresql import PostgresTarget

        return PostgresTarget(settings, url)
    from embedded_backend.backup.restore_mariadb import MariadbTarget

    return MariadbTarget(settings, url)


def check_restorable(settings: Settings, backup: Backup) -> None:
    """Refuse (:class:`RestoreRefused`) a backup this Vigia cannot restore here; cheap
    (no file is read), so the API and the CLI call it before asking for confirmation."""
    kind = database_kind(settings)
    if backup.source != kind:
        raise RestoreRefused(
            f"backup {backup.id} is a {backup.source} backup, and this Vigia uses a {kind} "
            "database; restore it on a Vigia configured for that kind of database. "
            "Nothing was changed"
        )
    revision = backup.manifest.schema_revision
    if revision is None:
        raise RestoreRefused(
            f"backup {backup.id} holds no Vigia schema (no schema revision), so it cannot "
            "be restored. Nothing was changed"
        )
    if revision not in known_revisions():
        made_by = f"Vigia {backup.manifest.app_version}" if backup.manifest.app_version else (
            "a newer Vigia")  # fmt: skip
        raise RestoreRefused(
            f"backup {backup.id} was made by {made_by} with a newer database schema "
            f"(revision {revision}; this Vigia knows up to {SCHEMA_HEAD}). Install that "
            "version of Vigia (or a newer one) to restore it. Nothing was changed"
        )


def restore_backup(
    settings: Settings,
    backup_id: str,
    *,
    db: Database | None = None,
    actor: str = "cli",
    progress: Progress | None = None,
    after_swap: Callable[[], None] | None = None,
    drain_timeout_s: float = DRAIN_TIMEOUT_S,
    lock_wait_s: float = LOCK_WAIT_S,
) -> RestoreResult:
    """Restore backup ``backup_id`` over the configured database (see the module doc).

    ``db``: the running backend's database (its gate provides maintenance mode and its
    connections are closed for the swap); ``None`` when no backend is running.
    ``after_swap``: called right after the swap, while nothing can read yet (the running
    backend empties its caches there, so nothing from before is served afterwards).
    """
    folder = backup_folder(settings)
    try:
        with BackupLock(folder, f"restore backup {backup_id}", lock_wait_s):
            result = _restore_locked(
                settings,
                backup_id,
                _Run(db, actor, progress or _quiet, after_swap, drain_timeout_s),
            )
    except BackupError as exc:
        log.warning("restore of backup %s failed: %s", backup_id, exc)
        _audit(settings, db, actor, backup_id, {"ok": False, "error": str(exc)})
        raise
    log.info("backup %s restored in %.1f s (writes paused %.1f s, swap %.2f s); pre-restore "
             "backup %s", backup_id, result.duration_s, result.maintenance_s, result.swap_s,
             result.pre_restore_backup_id or f"none, old database kept as {result.replaced_kept}"
             )  # fmt: skip
    _audit(settings, db, actor, backup_id, {"ok": True, **result.as_dict()})
    return result


def _audit(
    settings: Settings, db: Database | None, actor: str, backup_id: str, detail: dict[str, Any]
) -> None:
    if db is not None:
        record_action(db, actor, ACTION, backup_id, detail)
    else:
        record_with_settings(settings, actor, ACTION, backup_id, detail)


@dataclass(frozen=True)
class _Run:
    """How this restore runs (what restore_backup was given besides the backup)."""

    db: Database | None
    actor: str
    progress: Progress
    after_swap: Callable[[], None] | None
    drain_timeout_s: float


def _restore_locked(settings: Settings, backup_id: str, run: _Run) -> RestoreResult:
    progress = run.progress
    started = time.perf_counter()
    backup = list_backups(backup_folder(settings)).get(backup_id)  # BackupNotFound
    check_restorable(settings, backup)
    revision = backup.manifest.schema_revision or ""
    log.info("restore of backup %s by %s started", backup_id, run.actor)

    progress(0.02, f"verifying backup {backup_id}")
    report = verify_backup(settings, backup_id, lock_held=True)
    if not report.ok:
        raise RestoreRefused(f"{report.problem}. Nothing was restored; the database is unchanged")

    target = target_for(settings)
    progress(0.15, f"preparing the restored database beside {target.description}")
    target.prepare(backup)
    migrated = revision != SCHEMA_HEAD
    try:
        if migrated:
            progress(0.4, f"migrating the restored database from schema {revision} to "
                          f"{SCHEMA_HEAD}")  # fmt: skip
            target.migrate()
        target.seal()
    except BaseException:
        target.discard()
        raise
    pre, maintenance_s, swap_s = _swap_in_maintenance(settings, backup, target, run)
    note = target.finish()
    if note:
        log.warning("restore of backup %s: %s", backup_id, note)
    return RestoreResult(
        backup_id=backup_id,
        pre_restore_backup_id=pre.id if pre else None,
        pre_restore_file=str(pre.path) if pre else None,
        source=backup.source,
        database=target.description,
        revision_before=revision,
        revision_after=SCHEMA_HEAD,
        migrated=migrated,
        duration_s=round(time.perf_counter() - started, 3),
        maintenance_s=round(maintenance_s, 3),
        swap_s=round(swap_s, 3),
        note=note,
        replaced_kept=target.replaced_location() if target.keep_replaced else None,
    )


def _swap_in_maintenance(
    settings: Settings, backup: Backup, target: Target, run: _Run
) -> tuple[Backup | None, float, float]:
    """Maintenance on, pre-restore backup, swap, check, maintenance off; the prepared
    copy is discarded when anything before the swap fails. Returns (the pre-restore
    backup, seconds in maintenance, seconds of the swap)."""
    db, progress, drain_timeout_s = run.db, run.progress, run.drain_timeout_s
    gate = db.gate if db is not None else None
    entered = time.perf_counter()
    if gate is not None:
        gate.begin_maintenance(Maintenance(f"restoring backup {backup.id}", backup.id, run.actor))
    try:
        try:
            progress(0.55, "maintenance: changes are paused, reading still works")
            if gate is not None and not gate.wait_for_writers(drain_timeout_s):
                raise RestoreRefused(
                    f"changes still running after {drain_timeout_s:.0f} s; nothing was "
                    "changed, try again in a quieter moment"
                )
            progress(0.6, "making the pre-restore backup (the way back)")
            pre = _pre_restore_backup(settings, target, progress)
            progress(0.85, "swapping in the restored database")
            swap_started = time.perf_counter()
            if gate is not None and db is not None:
                if not gate.close(drain_timeout_s):
                    raise RestoreRefused(
                        f"{gate.active} request(s) still using the database after "
                        f"{drain_timeout_s:.0f} s; nothing was changed, try again"
                    )
                db.engine.dispose()  # every connection of this process is closed now
            target.swap()
        except BaseException:
            target.discard()
            raise
        swap_s = time.perf_counter() - swap_started
        _after_swap(run.after_swap)
        progress(0.95, "checking the restored database")
        _check_live(settings, db)
    finally:
        if gate is not None:
            gate.end_maintenance()
    return pre, time.perf_counter() - entered, swap_s


def _after_swap(hook: Callable[[], None] | None) -> None:
    if hook is None:
        return
    try:
        hook()
    except Exception:  # the swap is done: a hook must not turn it into a failure
        log.exception("restore: the after-swap step failed; the restore itself is done")


def _pre_restore_backup(settings: Settings, target: Target, progress: Progress) -> Backup | None:
    try:
        return create_backup(settings, "pre-restore", lock_held=True)
    except BackupFailed as exc:
        target.keep_replaced = True
        log.warning("the live database cannot be backed up (%s); restoring anyway, and "
                    "keeping the old database as %s", exc, target.replaced_location())  # fmt: skip
        progress(0.62, "the live database cannot be backed up; it will be kept aside as "
                       f"{target.replaced_location()}")  # fmt: skip
        return None


def _check_live(settings: Settings, db: Database | None) -> None:
    engine = db.engine if db is not None else create_db_engine(settings)
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        raise RestoreFailed(
            f"the backup was put in place but the database does not answer "
            f"({type(exc).__name__}); the data from before is in the pre-restore backup"
        ) from None
    finally:
        if db is None:
            engine.dispose()
    if revision != SCHEMA_HEAD:
        raise RestoreFailed(
            f"the backup was put in place but the database reports schema {revision}, not "
            f"{SCHEMA_HEAD}; the data from before is in the pre-restore backup"
        )
