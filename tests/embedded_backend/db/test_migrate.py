from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import inspect, text

from embedded_backend.config import Settings
from embedded_backend.db.database import Database
from embedded_backend.db.migrate import current_revision, head_revision, migrate_to_head
from embedded_backend.errors import DatabaseError

TABLES = {"users", "customers", "products", "orders", "order_items", "audit_log", "alembic_version"}


def test_migrates_an_empty_database_to_head(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    db = Database(make_settings(database_url=database_url))
    try:
        assert current_revision(db.engine) is None
        assert migrate_to_head(db.engine) == head_revision()
        assert TABLES <= set(inspect(db.engine).get_table_names())
        assert migrate_to_head(db.engine) == head_revision()  # idempotent
    finally:
        db.dispose()


def test_a_newer_schema_is_refused(make_settings: Callable[..., Settings]) -> None:
    db = Database(make_settings())
    try:
        migrate_to_head(db.engine)
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'zz_future'"))
        with pytest.raises(DatabaseError, match="newer than this Vigia"):
            migrate_to_head(db.engine)
    finally:
        db.dispose()


def test_schema_head_constant_is_the_newest_migration() -> None:
    from alembic.script import ScriptDirectory

    from embedded_backend.db.migrate import SCHEMA_HEAD, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_HEAD


def test_an_older_schema_is_migrated_to_head(make_settings: Callable[..., Settings]) -> None:
    """0001 -> head: migration 0002 adds the index the settings audit looks up by."""
    from tests.embedded_backend.backup.restoring import indexes, migrate_to

    settings = make_settings()
    migrate_to(settings, "0001")
    assert "ix_audit_log_action_id" not in indexes(settings, "audit_log")
    db = Database(settings)
    try:
        assert current_revision(db.engine) == "0001"
        assert migrate_to_head(db.engine) == head_revision() == "0002"
    finally:
        db.dispose()
    assert "ix_audit_log_action_id" in indexes(settings, "audit_log")


def test_the_migrations_build_the_models_schema(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    """Nothing for autogenerate to add: the migrations and db/models.py agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from embedded_backend.db.models import Base

    db = Database(make_settings(database_url=database_url))
    try:
        migrate_to_head(db.engine)
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        db.dispose()
    assert diff == []
