"""What is in a backup folder: the usable backups, the broken ones, and other files.

Listing is cheap (it reads the small manifests and stats the data files; it hashes
nothing), so the health check and the alert rules call it on every probe. It never
raises for what it finds: a damaged manifest, a data file cut short or a stranger's
file is reported with a reason. A backup counts (:attr:`Listing.backups`) only when its
manifest is valid, its data file is there with the size the manifest says, and it has
not failed a later ``verify``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from embedded_backend.backup.errors import BackupNotFound
from embedded_backend.backup.folder import (
    DATA_SUFFIXES,
    LOCK_PREFIX,
    MANIFEST_SUFFIX,
    PREFIX,
    format_size,
    is_partial,
)
from embedded_backend.backup.manifest import Manifest, ManifestError, read_manifest, utc_text


@dataclass(frozen=True)
class Backup:
    """A complete backup: a valid manifest and its data file."""

    manifest: Manifest
    path: Path  # the data file
    manifest_path: Path

    @property
    def id(self) -> str:
        return self.manifest.id

    @property
    def created_at(self) -> datetime:
        return self.manifest.created_at

    @property
    def size(self) -> int:
        return self.manifest.size

    @property
    def trigger(self) -> str:
        return self.manifest.trigger

    @property
    def source(self) -> str:
        return self.manifest.source

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``vigia backup list --json`` (and the admin API)."""
        m = self.manifest
        last = m.last_verification
        return {
            "id": m.id,
            "status": "ok",
            "created_at": utc_text(m.created_at),
            "size": m.size,
            "verified": m.verified,
            "trigger": m.trigger,
            "source": m.source,
            "schema_revision": m.schema_revision,
            "file": str(self.path),
            "sha256": m.sha256,
            "row_counts": m.row_counts,
            "app_version": m.app_version,
            "last_verified_at": utc_text(last.at) if last else None,
            "problem": None,
        }


@dataclass(frozen=True)
class Problem:
    """A file in the folder that is not a usable backup, and why.

    ``kind`` is ``bad`` for something that claims to be a backup (a manifest, or a data
    file named like one) but cannot be used, ``ignored`` for anything else.
    """

    name: str
    kind: Literal["bad", "ignored"]
    reason: str
    id: str | None = None
    manifest: Manifest | None = None  # when the manifest itself was readable

    def as_dict(self) -> dict[str, Any]:
        m = self.manifest
        return {
            "id": self.id,
            "status": self.kind,
            "created_at": utc_text(m.created_at) if m else None,
            "size": m.size if m else None,
            "verified": False,
            "trigger": m.trigger if m else None,
            "source": m.source if m else None,
            "file": self.name,
            "problem": self.reason,
        }


@dataclass(frozen=True)
class Listing:
    folder: Path
    backups: tuple[Backup, ...]  # newest first
    bad: tuple[Problem, ...]
    ignored: tuple[Problem, ...]

    def newest(self) -> Backup | None:
        """The newest verified backup (``None`` when there is none)."""
        return self.backups[0] if self.backups else None

    def get(self, backup_id: str) -> Backup:
        for backup in self.backups:
            if backup.id == backup_id:
                return backup
        for problem in self.bad:
            if problem.id == backup_id:
                raise BackupNotFound(
                    f"backup {backup_id} cannot be used ({problem.name}: {problem.reason})"
                )
        raise BackupNotFound(
            f"there is no backup {backup_id} in {self.folder}; 'vigia backup list' shows "
            "the backups there"
        )

    def find_bad(self, backup_id: str) -> Problem | None:
        return next((p for p in self.bad if p.id == backup_id), None)


def _id_from_name(name: str) -> str | None:
    if not name.startswith(PREFIX):
        return None
    stem = name[len(PREFIX) :]
    for suffix in (MANIFEST_SUFFIX, *DATA_SUFFIXES.values()):
        if stem.endswith(suffix):
            return stem[: -len(suffix)]
    return None


def _is_data_name(name: str) -> bool:
    return name.startswith(PREFIX) and name.endswith(tuple(DATA_SUFFIXES.values()))


def _check(manifest: Manifest, folder: Path, manifest_name: str) -> str | None:
    """Why a readable manifest is not a usable backup; ``None`` if it is."""
    expected_id = _id_from_name(manifest_name)
    if expected_id != manifest.id:
        return f"manifest of backup {manifest.id} under another name"
    if _id_from_name(manifest.file) != manifest.id:
        return f"manifest names the data file of another backup ({manifest.file})"
    try:
        size = (folder / manifest.file).stat().st_size
    except FileNotFoundError:
        return f"data file {manifest.file} is missing"
    except OSError as exc:
        return f"data file {manifest.file} cannot be read ({exc.strerror})"
    if size < manifest.size:
        return (
            f"data file {manifest.file} is truncated: {format_size(size)} of "
            f"{format_size(manifest.size)}"
        )
    if size > manifest.size:
        return (
            f"data file {manifest.file} changed: {format_size(size)}, "
            f"{format_size(manifest.size)} when made"
        )
    last = manifest.last_verification
    if manifest.integrity != "ok":
        return f"failed its integrity check when made ({manifest.integrity})"
    if last is not None and not last.ok:
        return f"failed verification on {utc_text(last.at)}: {last.problem}"
    return None


def list_backups(folder: Path) -> Listing:
    """Everything in ``folder`` (which may not exist yet), classified."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return Listing(folder, (), (), ())
    except OSError as exc:
        problem = Problem(folder.name, "bad", f"folder cannot be read ({exc.strerror})")
        return Listing(folder, (), (problem,), ())
    backups: list[Backup] = []
    bad: list[Problem] = []
    ignored: list[Problem] = []
    claimed: set[str] = set()
    names = {entry.name for entry in entries}
    for entry in entries:
        name = entry.name
        if name.startswith(LOCK_PREFIX):
            continue
        if is_partial(name):
            ignored.append(
                Problem(
                    name,
                    "ignored",
                    "temporary file of a backup in progress or interrupted "
                    "(the next backup removes leftovers)",
                )
            )
            continue
        if not (name.endswith(MANIFEST_SUFFIX) and entry.is_file()):
            continue
        backup_id = _id_from_name(name)
        try:
            manifest = read_manifest(Path(entry.path))
        except ManifestError as exc:
            bad.append(Problem(name, "bad", f"damaged manifest: {exc}", backup_id))
            if backup_id is not None:
                claimed.update(n for n in names if _id_from_name(n) == backup_id)
            continue
        claimed.add(manifest.file)
        reason = _check(manifest, folder, name)
        if reason is None:
            backups.append(Backup(manifest, folder / manifest.file, Path(entry.path)))
        else:
            bad.append(Problem(name, "bad", reason, manifest.id, manifest))
    for entry in entries:
        name = entry.name
        if name.startswith(LOCK_PREFIX) or is_partial(name) or name.endswith(MANIFEST_SUFFIX):
            continue
        if name in claimed:
            continue
        if _is_data_name(name) and entry.is_file():
            bad.append(
                Problem(
                    name,
                    "bad",
                    "no manifest: the backup did not finish (or its manifest was "
                    "deleted), so it cannot be trusted",
                    _id_from_name(name),
                )
            )
        else:
            ignored.append(Problem(name, "ignored", "not a Vigia backup"))
    backups.sort(key=lambda b: (b.created_at, b.id), reverse=True)
    return Listing(folder, tuple(backups), tuple(bad), tuple(ignored))


def newest_backup(folder: Path) -> Backup | None:
    """The newest verified backup in ``folder``; what health and alerts measure age by."""
    return list_backups(folder).newest()
