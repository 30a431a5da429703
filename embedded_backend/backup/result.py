"""What a source (SQLite file, PostgreSQL or MariaDB server) reports after a dump."""

from __future__ import annotations

from dataclasses import dataclass

from embedded_backend.backup.manifest import Check


@dataclass(frozen=True)
class DumpResult:
    schema_revision: str | None
    row_counts: dict[str, int] | None  # None when they could not be read
    source_size: int | None
    tool: str  # what made the file, with its version
    checks: tuple[Check, ...]  # what was checked on the fresh copy, all passed


def first_failure(checks: tuple[Check, ...] | list[Check]) -> Check | None:
    return next((c for c in checks if not c.ok), None)
