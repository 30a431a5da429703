"""Real backups for tests elsewhere (health, alerts) that need one of a given age."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from embedded_backend.backup import Backup, create_backup, read_manifest
from embedded_backend.backup.manifest import write_manifest
from embedded_backend.config import load_settings


def aged_backup(folder: Path, hours: float) -> Backup:
    """A real, complete backup in ``folder`` (of a tiny SQLite database beside it) whose
    manifest says it was taken ``hours`` ago."""
    source = folder.parent / ".aged-source.db"
    with closing(sqlite3.connect(source)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
        conn.execute("INSERT INTO t VALUES (1)")
        conn.commit()
    settings = load_settings(
        home=folder.parent / ".aged-home", database_url=f"sqlite:///{source}", backup_dir=folder
    )
    backup = create_backup(settings)
    when = datetime.now(UTC) - timedelta(hours=hours)
    manifest = read_manifest(backup.manifest_path)
    write_manifest(
        backup.manifest_path, manifest.model_copy(update={"created_at": when, "finished_at": when})
    )
    return backup
