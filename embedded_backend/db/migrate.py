"""Alembic, driven from code: migrate to head at startup, report the revision for checks.

Alembic itself is imported only when the schema must change: at a normal start the
revision is read with one query and compared with :data:`SCHEMA_HEAD` (a test keeps that
constant equal to the newest migration), which keeps ``vigia serve`` quick to start.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from embedded_backend.errors import DatabaseError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# The newest revision in migrations/versions (tests/embedded_backend/db/test_migrate.py
# fails when a migration is added without updating this).
SCHEMA_HEAD = "0002"


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    return SCHEMA_HEAD


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return str(value) if value is not None else None


def migrate_to_head(engine: Engine) -> str:
    """Upgrade the schema to head; return the revision now in the database."""
    before = current_revision(engine)
    head = head_revision()
    if before == head:
        return head
    if before is not None and before not in known_revisions():
        raise DatabaseError(
            f"the database schema (revision {before}) is newer than this Vigia; "
            "install the newer Vigia version that created it"
        )
    from alembic import command

    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    log.info("database schema migrated from %s to %s", before or "empty", head)
    return head
