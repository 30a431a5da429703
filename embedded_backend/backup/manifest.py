"""The manifest: a JSON file beside each backup, written last.

A backup exists only once its manifest does; a data file without a valid manifest is
never listed as a backup. Fields (``format`` 1)::

    id, created_at (UTC, when the snapshot was taken), finished_at, source
    (sqlite | postgresql | mariadb), database (location, password hidden),
    schema_revision (alembic_version), file, size, source_size, sha256, row_counts
    (per table, or null when they could not be read), integrity ("ok"), checks (what was
    checked at creation), app_version, trigger (manual | schedule | pre-restore |
    pre-migration), tool, last_verification (set by ``verify``)

Unknown fields are kept out of the model but do not make a manifest invalid, so a
manifest written by a newer Vigia of the same format still reads.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from embedded_backend.backup.folder import ID_PATTERN, write_private

FORMAT: Literal[1] = 1
MAX_MANIFEST_BYTES = 1_048_576

Trigger = Literal["manual", "schedule", "pre-restore", "pre-migration"]
Source = Literal["sqlite", "postgresql", "mariadb"]
TRIGGERS: tuple[Trigger, ...] = ("manual", "schedule", "pre-restore", "pre-migration")


class Check(BaseModel):
    """One thing that was checked, and how it went."""

    model_config = ConfigDict(frozen=True)

    name: str
    ok: bool
    detail: str = ""


class Verification(BaseModel):
    """The result of the last ``verify``."""

    model_config = ConfigDict(frozen=True)

    at: AwareDatetime
    ok: bool
    deep: bool
    problem: str | None = None
    checks: tuple[Check, ...] = ()


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    format: Literal[1] = FORMAT
    id: str = Field(pattern=ID_PATTERN.pattern)
    created_at: AwareDatetime
    finished_at: AwareDatetime
    source: Source
    database: str
    schema_revision: str | None
    file: str = Field(pattern=r"^vigia-[0-9a-f-]+\.(sqlite3|pgdump|sql)$")
    size: int = Field(ge=0)
    source_size: int | None = Field(default=None, ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    row_counts: dict[str, int] | None
    integrity: str
    checks: tuple[Check, ...] = ()
    app_version: str
    trigger: Trigger
    tool: str
    last_verification: Verification | None = None

    @property
    def verified(self) -> bool:
        """Passed its checks when made, and its last ``verify`` (if any) too."""
        last = self.last_verification
        return self.integrity == "ok" and (last is None or last.ok)

    def to_json(self) -> bytes:
        return (self.model_dump_json(indent=2) + "\n").encode("utf-8")


class ManifestError(ValueError):
    """A manifest that cannot be used; ``str()`` is the reason (\"not valid JSON ...\")."""


def read_manifest(path: Path) -> Manifest:
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        raise ManifestError(f"cannot be read ({exc.strerror})") from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestError("far too big to be a backup manifest")
    if not raw.strip():
        raise ManifestError("empty (the backup did not finish)")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ManifestError("not valid JSON (damaged or cut short)") from None
    if not isinstance(data, dict):
        raise ManifestError("not a backup manifest")
    if isinstance(data.get("format"), int) and data["format"] > FORMAT:
        raise ManifestError(
            f"written by a newer Vigia (manifest format {data['format']}); "
            "use that version to read it"
        )
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in err["loc"]) or "?" for err in exc.errors()})
        raise ManifestError(f"incomplete (missing or wrong: {', '.join(fields[:6])})") from None


def write_manifest(path: Path, manifest: Manifest) -> None:
    """Write atomically (temp name, fsync, rename, folder fsync); readable by the user only."""
    write_private(path, manifest.to_json())


def utc_text(moment: datetime) -> str:
    """``2026-11-23T17:00:00Z``: how times appear in JSON output."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def compare_with_manifest(
    manifest: Manifest, counts: dict[str, int], revision: str | None, *, same: str, differ: str
) -> list[Check]:
    """The checks that a backup still reads as it was made: row counts (when the manifest
    has them; ``same``/``differ`` describe the outcome) and schema revision."""
    checks: list[Check] = []
    if manifest.row_counts is not None:
        equal = counts == manifest.row_counts
        checks.append(Check(name="row_counts", ok=equal, detail=same if equal else differ))
    checks.append(
        Check(
            name="schema_revision",
            ok=revision == manifest.schema_revision,
            detail=f"revision {revision}",
        )
    )
    return checks
