"""Helpers of the restore tests: rows to look at, and backups of an older or a newer
schema (made from a second real database, into the first one's backup folder)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from embedded_backend.backup import Backup, backup_folder, create_backup
from embedded_backend.config import Settings
from embedded_backend.db.database import Database
from embedded_backend.db.migrate import alembic_config, current_revision
from embedded_backend.db.models import Customer, Product
from tests.embedded_backend.backup.conftest import seed


def skus(settings: Settings) -> list[str]:
    db = Database(settings)
    try:
        with db.read_session() as session:
            return sorted(session.scalars(select(Product.sku)))
    finally:
        db.dispose()


def add_product(settings: Settings, sku: str) -> None:
    db = Database(settings)
    try:
        db.write(lambda s: s.add(Product(sku=sku, name=sku, price=Decimal("1.00"), stock=1)))
    finally:
        db.dispose()


def revision(settings: Settings) -> str | None:
    db = Database(settings)
    try:
        return current_revision(db.engine)
    finally:
        db.dispose()


def indexes(settings: Settings, table: str) -> set[str]:
    db = Database(settings)
    try:
        return {str(ix["name"]) for ix in inspect(db.engine).get_indexes(table)}
    finally:
        db.dispose()


def migrate_to(settings: Settings, target: str) -> None:
    """Migrate the settings' (empty) database only up to ``target``, with Alembic."""
    from alembic import command

    settings.paths.ensure()
    db = Database(settings)
    try:
        config = alembic_config()
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, target)
    finally:
        db.dispose()


def _into(main: Settings, other: Settings) -> Settings:
    """``other``'s database, backed up into ``main``'s folder."""
    return other.model_copy(update={"backup_dir": backup_folder(main)})


def older_backup(main: Settings, other: Settings, sku: str = "OLD-1") -> Backup:
    """A backup at schema 0001 (holding product ``sku``) in ``main``'s folder."""
    migrate_to(other, "0001")
    db = Database(other)
    try:

        def work(session: Session) -> None:
            session.add(Customer(name="Antiga", document="52998224725", document_type="cpf"))
            session.add(Product(sku=sku, name="old", price=Decimal("2.50"), stock=5))

        db.write(work)
    finally:
        db.dispose()
    assert revision(other) == "0001"
    return create_backup(_into(main, other))


def newer_backup(main: Settings, other: Settings) -> Backup:
    """A backup whose schema revision (9999) no Vigia release knows yet."""
    seed(other)
    db = Database(other)
    try:
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        db.dispose()
    return create_backup(_into(main, other))


def leftovers(live: Path) -> list[str]:
    """Files a restore may leave beside a SQLite database (there should be none)."""
    return sorted(p.name for p in live.parent.iterdir() if ".restoring" in p.name)
