"""Making a backup: lock, copy or dump under a temporary name, check, publish, manifest.

Order of events (each step either completes or leaves nothing that is listed):

1. take the folder's lock (one backup operation at a time) and delete leftovers of
   interrupted backups (``.vigia-*.partial*``, only ever written under the lock);
2. refuse early when the disk clearly has no room (SQLite, whose size is known);
3. copy / dump into ``.vigia-<id>.<ext>.partial`` (0600), check the copy;
4. fsync, hash (sha256), rename to ``vigia-<id>.<ext>``, fsync the folder;
5. write the manifest ``vigia-<id>.json`` atomically; only now the backup exists.

On any failure, including Ctrl+C, the temporary file (and a data file whose manifest
could not be written) is removed; older backups are never touched.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

from embedded_backend import __version__
from embedded_backend.backup.errors import DiskFullError
from embedded_backend.backup.folder import (
    backup_folder,
    create_private,
    data_name,
    ensure_folder,
    folder_error,
    format_size,
    free_bytes,
    manifest_name,
    new_backup_id,
    partial_path,
    publish,
    remove_partials,
)
from embedded_backend.backup.listing import Backup
from embedded_backend.backup.lock import BackupLock
from embedded_backend.backup.manifest import Manifest, Trigger, write_manifest
from embedded_backend.backup.sources import Source, source_for
from embedded_backend.config import Settings

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def create_backup(
    settings: Settings,
    trigger: Trigger = "manual",
    *,
    wait_s: float = 0.0,
    lock_held: bool = False,
) -> Backup:
    """Back up the configured database into the backup folder; return the new backup.

    ``wait_s``: how long to wait for another backup operation to finish before refusing
    with :class:`BackupBusy`. ``lock_held=True`` when the caller already holds the
    folder's :class:`BackupLock` (a restore making its ``pre-restore`` backup).
    """
    source = source_for(settings)  # a missing tool fails here, before anything is written
    folder = ensure_folder(backup_folder(settings))
    if lock_held:
        return _create_locked(folder, source, trigger)
    with BackupLock(folder, "create a backup", wait_s):
        return _create_locked(folder, source, trigger)


def _check_space(folder: Path, source: Source) -> None:
    needed = source.required_space()
    free = free_bytes(folder)
    if needed is None or free is None or free >= needed:
        return
    raise DiskFullError(
        f"not enough free space in {folder} for the backup: it needs about "
        f"{format_size(needed)}, {format_size(free)} are free. Free some space (or delete "
        "old backups with 'vigia backup prune'), or set backup_dir to a folder on a "
        "bigger disk; nothing was written"
    )


def _create_locked(folder: Path, source: Source, trigger: Trigger) -> Backup:
    leftovers = remove_partials(folder)
    if leftovers:
        log.info("removed %d leftover file(s) of interrupted backups: %s", len(leftovers),
                 ", ".join(leftovers))  # fmt: skip
    _check_space(folder, source)
    started = time.perf_counter()
    created_at = datetime.now(UTC)
    backup_id = new_backup_id(created_at)
    final = folder / data_name(backup_id, source.kind)
    temporary = partial_path(folder, final.name)
    log.info("backup %s started (%s, %s, trigger %s)", backup_id, source.kind,
             source.description, trigger)  # fmt: skip
    published = False
    try:
        create_private(temporary)
        result = source.dump(temporary)
        publish(temporary, final)
        published = True
        size = final.stat().st_size
        manifest = Manifest(
            id=backup_id,
            created_at=created_at,
            finished_at=datetime.now(UTC),
            source=source.kind,
            database=source.description,
            schema_revision=result.schema_revision,
            file=final.name,
            size=size,
            source_size=result.source_size,
            sha256=sha256_of(final),
            row_counts=result.row_counts,
            integrity="ok",
            checks=result.checks,
            app_version=__version__,
            trigger=trigger,
            tool=result.tool,
        )
        manifest_path = folder / manifest_name(backup_id)
        write_manifest(manifest_path, manifest)
    except OSError as exc:
        _discard(temporary, final if published else None)
        log.warning("backup %s failed: %s", backup_id, exc.strerror or exc)
        raise folder_error(exc, folder, "write the backup") from None
    except BaseException as exc:
        _discard(temporary, final if published else None)
        log.warning("backup %s failed: %s", backup_id, exc if str(exc) else type(exc).__name__)
        raise
    elapsed = time.perf_counter() - started
    log.info("backup %s created: %s, %s in %.1f s", backup_id, final.name,
             format_size(size), elapsed)  # fmt: skip
    return Backup(manifest, final, manifest_path)


def _discard(temporary: Path, published: Path | None) -> None:
    for path in (temporary, published):
        if path is None:
            continue
        for extra in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{extra}").unlink(missing_ok=True)
