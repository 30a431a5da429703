"""Which database the settings point at, as something that can be dumped."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from embedded_backend.backup.errors import BackupFailed
from embedded_backend.backup.manifest import Source as SourceKind
from embedded_backend.backup.result import DumpResult
from embedded_backend.config import Settings
from embedded_backend.db.urls import parse_database_url, sqlite_file


class Source(Protocol):
    @property
    def kind(self) -> SourceKind:
        """sqlite | postgresql | mariadb (the manifest's ``source``)."""

    @property
    def description(self) -> str:
        """Where it is, password hidden."""

    def required_space(self) -> int | None:
        """Bytes the backup will take, when known in advance."""

    def dump(self, dest: Path) -> DumpResult:
        """Write a consistent backup into the existing empty file ``dest`` and check it."""


def source_for(settings: Settings) -> Source:
    """The configured database; a missing client tool is a ToolMissing error here,
    before anything is written."""
    url = parse_database_url(settings.effective_database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        from embedded_backend.backup.sqlite import SqliteSource

        path = sqlite_file(url)
        if path is None:
            raise BackupFailed("an in-memory SQLite database cannot be backed up")
        return SqliteSource(path, settings.sqlite_busy_timeout_ms / 1000)
    if backend == "postgresql":
        from embedded_backend.backup.postgresql import PostgresSource

        return PostgresSource(url)
    from embedded_backend.backup.mariadb import MariadbSource

    return MariadbSource(url)
