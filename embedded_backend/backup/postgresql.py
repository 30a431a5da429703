"""PostgreSQL: ``pg_dump -Fc`` and its checks.

pg_dump reads one consistent snapshot (a repeatable-read transaction) and does not block
the backend's writers. The dump is checked with ``pg_restore --list`` (its table of
contents reads) and by a test restore into a scratch database (see scratch.py), where the
rows are counted and the schema revision read: the counts in the manifest are those of
the snapshot itself.

Connection details come from the database URL and reach the tools through ``PG*``
environment variables (the password as ``PGPASSWORD``), never the command line.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from embedded_backend.backup import scratch, tools
from embedded_backend.backup.deep_check import deep_checks
from embedded_backend.backup.errors import BackupFailed
from embedded_backend.backup.manifest import Check, Manifest
from embedded_backend.backup.result import DumpResult
from embedded_backend.backup.scratch import (
    engine_for,
    schema_revision,
)

log = logging.getLogger(__name__)

LOCK_WAIT = "120s"  # pg_dump gives up rather than queue forever behind a schema change


def pg_env(url: URL, database: str | None = None) -> dict[str, str]:
    env = {"PGAPPNAME": "vigia-backup", "PGCONNECT_TIMEOUT": "10"}
    host = url.host or str(url.query.get("host") or "")
    if host:
        env["PGHOST"] = host
    if url.port:
        env["PGPORT"] = str(url.port)
    if url.username:
        env["PGUSER"] = url.username
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    env["PGDATABASE"] = database or url.database or ""
    sslmode = url.query.get("sslmode")
    if isinstance(sslmode, str):
        env["PGSSLMODE"] = sslmode
    return env


def _secrets(url: URL) -> list[str]:
    return [str(url.password)] if url.password else []


def list_contents(path: Path, url: URL | None = None) -> list[str]:
    """``pg_restore --list``: the dump's table of contents (raises BackupFailed if unreadable)."""
    pg_restore = tools.find(tools.PG_RESTORE)
    env = tools.child_env(pg_env(url) if url else {}, ("PG",))
    out = tools.run([pg_restore, "--list", str(path)], env, doing=f"read the dump {path.name}")
    return [line for line in out.splitlines() if line.strip() and not line.startswith(";")]


def restore_into(url: URL, database: str, path: Path) -> None:
    """Restore the dump ``path`` into the existing, empty ``database`` on ``url``'s server."""
    pg_restore = tools.find(tools.PG_RESTORE)
    env = tools.child_env(pg_env(url, database), ("PG",))
    tools.run(
        [
            pg_restore,
            "--no-password",
            "--dbname",
            database,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            str(path),
        ],
        env,
        doing=f"restore {path.name} into a scratch database",
        secrets=_secrets(url),
    )


def trial_restore(url: URL, path: Path) -> tuple[str | None, dict[str, int]]:
    """Restore into a scratch database; return (schema revision, rows per table)."""
    return scratch.trial_restore(url, path, restore_into)


class PostgresSource:
    kind: Literal["postgresql"] = "postgresql"

    def __init__(self, url: URL) -> None:
        self.url = url
        self.description = url.render_as_string(hide_password=True)
        self.pg_dump = tools.find(tools.PG_DUMP)
        tools.find(tools.PG_RESTORE)

    def required_space(self) -> int | None:
        return None  # a compressed dump's size is not known in advance

    def _facts(self) -> tuple[int | None, str | None]:
        engine = engine_for(self.url)
        try:
            with engine.connect() as conn:
                size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
                return (int(size) if size is not None else None), schema_revision(conn)
        except SQLAlchemyError as exc:
            raise BackupFailed(
                f"cannot reach the PostgreSQL database {self.description}: {scratch.reason(exc)}"
            ) from None
        finally:
            engine.dispose()

    def dump(self, dest: Path) -> DumpResult:
        source_size, live_revision = self._facts()
        env = tools.child_env(pg_env(self.url), ("PG",))
        tools.run(
            [
                self.pg_dump,
                "--no-password",
                "--format=custom",
                f"--lock-wait-timeout={LOCK_WAIT}",
                "--file",
                str(dest),
            ],
            env,
            doing=f"dump {self.description}",
            secrets=_secrets(self.url),
            writes_file=True,
        )
        entries = list_contents(dest, self.url)
        revision, counts = trial_restore(self.url, dest)
        if revision != live_revision:
            log.info("schema revision changed during the dump: %s -> %s", live_revision, revision)
        checks = (
            Check(name="pg_restore --list", ok=True, detail=f"{len(entries)} entries"),
            Check(
                name="test restore", ok=True, detail=f"{len(counts)} tables restored and counted"
            ),
        )
        return DumpResult(revision, counts, source_size, tools.version(self.pg_dump), checks)


def verify(path: Path, manifest: Manifest, url: URL | None, deep: bool) -> list[Check]:
    """``pg_restore --list``; with ``deep``, a test restore on ``url``'s server whose
    rows and revision must match the manifest."""
    try:
        entries = list_contents(path, url)
    except BackupFailed as exc:
        return [Check(name="pg_restore --list", ok=False, detail=f"the dump is damaged: {exc}")]
    checks = [Check(name="pg_restore --list", ok=bool(entries), detail=f"{len(entries)} entries")]
    if not deep:
        return checks
    return deep_checks(
        checks,
        manifest,
        url,
        path,
        server="PostgreSQL",
        backends=("postgresql",),
        trial_restore=trial_restore,
    )
