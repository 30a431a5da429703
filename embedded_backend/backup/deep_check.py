"""The deep check of a server dump: restore it into a scratch database and compare the
row counts and schema revision with the manifest (PostgreSQL and MariaDB alike)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import URL

from embedded_backend.backup.errors import BackupFailed, ScratchUnavailable
from embedded_backend.backup.manifest import Check, Manifest, compare_with_manifest

TrialRestore = Callable[[URL, Path], tuple[str | None, dict[str, int]]]


def deep_checks(
    checks: list[Check],
    manifest: Manifest,
    url: URL | None,
    path: Path,
    *,
    server: str,
    backends: tuple[str, ...],
    trial_restore: TrialRestore,
) -> list[Check]:
    """``checks`` plus a test restore on ``url``'s server (a ``server`` one, e.g.
    "PostgreSQL", whose SQLAlchemy backend name is one of ``backends``)."""
    if url is None or url.get_backend_name() not in backends:
        raise BackupFailed(
            f"a deep check restores the backup on a {server} server, and "
            "VIGIA_DATABASE_URL does not point at one; check without --deep, or run it "
            f"where the {server} server is configured"
        )
    try:
        revision, counts = trial_restore(url, path)
    except ScratchUnavailable:
        raise  # the server's rights, not the backup: nothing to record
    except BackupFailed as exc:
        return [*checks, Check(name="test restore", ok=False, detail=str(exc))]
    restored = Check(name="test restore", ok=True, detail=f"{len(counts)} tables")
    return [
        *checks,
        restored,
        *compare_with_manifest(
            manifest,
            counts,
            revision,
            same="as when made",
            differ="the restored row counts differ from when made",
        ),
    ]
