"""Retention: which backups ``prune`` keeps, and deleting the others.

Kept (a backup may have several reasons):

- the newest of each of the last ``backup_keep_daily`` days that have a backup;
- the newest of each of the last ``backup_keep_weekly`` ISO weeks that have a backup;
- always the newest verified backup, whatever the numbers say;
- always a ``pre-restore`` backup younger than 30 days (the way back from a restore).

Days and weeks are the machine's local calendar. Only complete backups are considered:
files listed as bad (damaged, unfinished) are left for a person to look at. A backup is
deleted manifest first, so it stops being listed before its data goes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from embedded_backend.backup.folder import backup_folder, folder_error, fsync_dir
from embedded_backend.backup.listing import Backup, list_backups
from embedded_backend.backup.lock import BackupLock
from embedded_backend.config import Settings

log = logging.getLogger(__name__)

PRE_RESTORE_KEEP = timedelta(days=30)


@dataclass(frozen=True)
class Decision:
    backup: Backup
    reasons: tuple[str, ...]  # why it is kept; empty = deleted

    @property
    def keep(self) -> bool:
        return bool(self.reasons)


@dataclass(frozen=True)
class PruneResult:
    kept: tuple[Decision, ...]
    deleted: tuple[Decision, ...]
    dry_run: bool


def plan(
    backups: Sequence[Backup],
    keep_daily: int,
    keep_weekly: int,
    now: datetime,
    tz: tzinfo | None = None,
) -> list[Decision]:
    """Decide for each backup (newest first); pure, nothing is touched."""
    ordered = sorted(backups, key=lambda b: (b.created_at, b.id), reverse=True)
    reasons: dict[str, list[str]] = {b.id: [] for b in ordered}
    if ordered:
        reasons[ordered[0].id].append("newest")
    days: list[object] = []
    weeks: list[object] = []
    for backup in ordered:
        local = backup.created_at.astimezone(tz)
        day = local.date()
        if day not in days and len(days) < keep_daily:
            days.append(day)
            reasons[backup.id].append(f"daily {day.isoformat()}")
        iso = local.isocalendar()
        week = (iso.year, iso.week)
        if week not in weeks and len(weeks) < keep_weekly:
            weeks.append(week)
            reasons[backup.id].append(f"weekly {iso.year}-W{iso.week:02d}")
        if backup.trigger == "pre-restore" and now - backup.created_at < PRE_RESTORE_KEEP:
            reasons[backup.id].append("pre-restore, under 30 days old")
    return [Decision(b, tuple(reasons[b.id])) for b in ordered]


def prune_backups(
    settings: Settings,
    *,
    keep_daily: int | None = None,
    keep_weekly: int | None = None,
    dry_run: bool = False,
    wait_s: float = 0.0,
    now: datetime | None = None,
) -> PruneResult:
    """Delete the backups retention does not keep (none with ``dry_run``)."""
    daily = settings.backup_keep_daily if keep_daily is None else keep_daily
    weekly = settings.backup_keep_weekly if keep_weekly is None else keep_weekly
    folder = backup_folder(settings)
    moment = now or datetime.now(UTC)
    if dry_run or not folder.is_dir():
        decisions = plan(list_backups(folder).backups, daily, weekly, moment)
        return _result(decisions, dry_run=dry_run)
    with BackupLock(folder, "prune backups", wait_s):
        decisions = plan(list_backups(folder).backups, daily, weekly, moment)
        try:
            for decision in decisions:
                if not decision.keep:
                    _delete(decision.backup)
            fsync_dir(folder)
        except OSError as exc:
            raise folder_error(exc, folder, "delete old backups") from None
    result = _result(decisions, dry_run=False)
    log.info("pruned backups: %d deleted, %d kept (daily %d, weekly %d)",
             len(result.deleted), len(result.kept), daily, weekly)  # fmt: skip
    return result


def _result(decisions: list[Decision], dry_run: bool) -> PruneResult:
    return PruneResult(
        kept=tuple(d for d in decisions if d.keep),
        deleted=tuple(d for d in decisions if not d.keep),
        dry_run=dry_run,
    )


def _delete(backup: Backup) -> None:
    backup.manifest_path.unlink(missing_ok=True)  # first: it stops being a backup
    backup.path.unlink(missing_ok=True)
    log.info("deleted backup %s (%s)", backup.id, backup.path.name)
