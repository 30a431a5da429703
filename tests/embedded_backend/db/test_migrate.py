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
