"""Checking a backup again: is it still what was made, and can it be read?

Every backup: the data file is there, has the manifest's size and sha256. Then, by
source: SQLite ``PRAGMA integrity_check`` on the file opened read-only, rows and schema
revision as in the manifest; PostgreSQL ``pg_restore --list``; MariaDB the dump's
completion marker. ``deep=True`` adds, for the servers, a test restore into a scratch
database on the configured server, whose rows must match the manifest.

The result is written into the manifest (``last_verification``), so a backup that failed
is listed as bad from then on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from embedded_backend.backup import mariadb, postgresql, sqlite
from embedded_backend.backup.create import sha256_of
from embedded_backend.backup.errors import BackupBusy, BackupError
from embedded_backend.backup.folder import backup_folder, format_size
from embedded_backend.backup.listing import list_backups
from embedded_backend.backup.lock import BackupLock
from embedded_backend.backup.manifest import (
    Check,
    Manifest,
    ManifestError,
    Verification,
    read_manifest,
    write_manifest,
)
from embedded_backend.backup.result import first_failure
from embedded_backend.config import Settings
from embedded_backend.db.urls import parse_database_url

log = logging.getLogger(__name__)

RECORD_WAIT_S = 30.0


@dataclass(frozen=True)
class VerifyReport:
    id: str
    ok: bool
    deep: bool
    checks: tuple[Check, ...]
    problem: str | None  # plain words, when not ok

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "ok": self.ok,
            "deep": self.deep,
            "problem": self.problem,
            "checks": [c.model_dump() for c in self.checks],
        }


def _file_checks(path: Path, manifest: Manifest) -> list[Check]:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return [Check(name="file", ok=False, detail=f"{path.name} is missing")]
    if size < manifest.size:
        return [
            Check(
                name="size",
                ok=False,
                detail=f"the file is truncated: {format_size(size)} of "
                f"{format_size(manifest.size)}",
            )
        ]
    if size > manifest.size:
        return [
            Check(
                name="size",
                ok=False,
                detail=f"the file changed size: {format_size(size)}, "
                f"{format_size(manifest.size)} when made",
            )
        ]
    digest = sha256_of(path)
    if digest != manifest.sha256:
        return [
            Check(name="size", ok=True, detail=format_size(size)),
            Check(
                name="sha256",
                ok=False,
                detail="the contents changed since the backup was made (damaged disk, or "
                "the file was edited)",
            ),
        ]
    return [
        Check(name="size", ok=True, detail=format_size(size)),
        Check(name="sha256", ok=True, detail="matches the manifest"),
    ]


def check_backup(path: Path, manifest: Manifest, settings: Settings, deep: bool) -> list[Check]:
    """Run every check (stops after the file checks if they fail)."""
    checks = _file_checks(path, manifest)
    if first_failure(checks):
        return checks
    if manifest.source == "sqlite":
        return [*checks, *sqlite.verify(path, manifest)]
    url = parse_database_url(settings.effective_database_url) if deep else None
    if manifest.source == "postgresql":
        return [*checks, *postgresql.verify(path, manifest, url, deep)]
    return [*checks, *mariadb.verify(path, manifest, url, deep)]


def _problem(backup_id: str, failed: Check) -> str:
    if failed.name == "size" and "truncated" in failed.detail:
        kind = "truncated"
    elif failed.name == "file":
        kind = "incomplete"
    else:
        kind = "corrupt"
    return f"backup {backup_id} is {kind}: {failed.detail}; do not restore it, make a new backup"


def verify_backup(
    settings: Settings, backup_id: str, *, deep: bool = False, lock_held: bool = False
) -> VerifyReport:
    """Verify one backup (also one listed as bad, when its manifest can be read).

    :class:`BackupNotFound` if there is no such backup. ``lock_held=True`` when the
    caller holds the folder's :class:`BackupLock` (a restore checking its backup first).
    """
    folder = backup_folder(settings)
    listing = list_backups(folder)
    bad = listing.find_bad(backup_id)
    if bad is not None and bad.manifest is None:
        check = Check(name="manifest", ok=False, detail=f"{bad.name}: {bad.reason}")
        problem = f"backup {backup_id} cannot be verified ({bad.name}: {bad.reason})"
        return VerifyReport(backup_id, False, deep, (check,), problem)
    if bad is not None and bad.manifest is not None:
        manifest, manifest_path = bad.manifest, folder / bad.name
        path = folder / manifest.file
    else:
        backup = listing.get(backup_id)  # BackupNotFound if absent
        manifest, path, manifest_path = backup.manifest, backup.path, backup.manifest_path
    started = datetime.now(UTC)
    checks = tuple(check_backup(path, manifest, settings, deep))
    failed = first_failure(checks)
    report = VerifyReport(
        backup_id, failed is None, deep, checks, _problem(backup_id, failed) if failed else None
    )
    verification = Verification(
        at=started, ok=report.ok, deep=deep, problem=report.problem, checks=checks
    )
    _record(folder, manifest_path, verification, lock_held)
    log.info("backup %s verified%s: %s", backup_id, " (deep)" if deep else "",
             "ok" if report.ok else report.problem)  # fmt: skip
    return report


def _update(manifest_path: Path, verification: Verification) -> None:
    try:
        current = read_manifest(manifest_path)
    except ManifestError:
        return  # deleted (pruned) or replaced while we checked: nothing to update
    write_manifest(manifest_path, current.model_copy(update={"last_verification": verification}))


def _record(folder: Path, manifest_path: Path, verification: Verification, lock_held: bool) -> None:
    """Store the result in the manifest, unless the backup was deleted meanwhile."""
    try:
        if lock_held:
            _update(manifest_path, verification)
            return
        with BackupLock(folder, "record a verification", RECORD_WAIT_S):
            _update(manifest_path, verification)
    except BackupBusy:
        log.warning("the verification result of %s was not saved: another backup operation "
                    "kept the folder busy", manifest_path.name)  # fmt: skip
    except (BackupError, OSError) as exc:
        log.warning("the verification result of %s was not saved: %s", manifest_path.name, exc)
