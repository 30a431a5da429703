"""Recording backup actions in the audit log, when the database can take it.

A backup is often made exactly when the database is in trouble, so an audit record that
cannot be written never fails the action: it is logged instead. Actions are named
``backup.create``, ``backup.verify``, ``backup.prune`` (the restore adds
``backup.restore``); ``detail`` holds ids, sizes and outcomes, never a secret.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from embedded_backend.config import Settings
from embedded_backend.db.database import Database
from embedded_backend.db.urls import parse_database_url, sqlite_file
from embedded_backend.erp import audit
from embedded_backend.errors import Error

log = logging.getLogger(__name__)


def record_action(
    db: Database, actor: str, action: str, target: str | None, detail: dict[str, Any]
) -> bool:
    """Write one audit row through an open :class:`Database`; False (and a log line)
    when the database cannot take it."""
    try:
        # Through a session, not the bare engine: sessions pass the maintenance gate, so
        # an audit never opens the database in the middle of a restore's swap.
        with db.read_session() as session:
            has_schema = inspect(session.connection()).has_table("alembic_version")
        if not has_schema:
            log.info("audit of %s skipped: the database has no schema yet", action)
            return False

        def work(session: Session) -> None:
            audit.record(session, actor, action, target, detail)

        db.write(work)
    except (SQLAlchemyError, Error) as exc:
        log.warning("could not write the audit record for %s (%s); the action itself is done",
                    action, type(exc).__name__)  # fmt: skip
        return False
    return True


def record_with_settings(
    settings: Settings, actor: str, action: str, target: str | None, detail: dict[str, Any]
) -> bool:
    """The same for a process without an open database (the CLI): opens one briefly.
    A SQLite file that does not exist is not created just to audit."""
    try:
        url = parse_database_url(settings.effective_database_url)
    except Error:
        return False
    if url.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path is None or not path.is_file():
            log.info("audit of %s skipped: there is no database yet", action)
            return False
    try:
        db = Database(settings)
    except (SQLAlchemyError, Error) as exc:
        log.warning("could not open the database to audit %s (%s)", action, type(exc).__name__)
        return False
    try:
        return record_action(db, actor, action, target, detail)
    finally:
        db.dispose()
