"""Restoring on a PostgreSQL or MariaDB server: into a new database first, then a swap.

What the two servers share (their swaps differ: restore_postgresql.py, restore_mariadb.py):

- ``prepare``: create ``vigia_restoring_<UTC yyyymmddhhmmss>_<8 hex>`` on the server
  and load the backup into it (``pg_restore`` / ``mariadb``). The live database is not
  touched and the backend keeps serving. This load is also the deepest check of the
  backup there is: a dump that does not load stops the restore here.
- ``migrate``: a backup made by an older Vigia is migrated to the current schema *in the
  new database*, before anything is swapped.
- ``discard`` (a failure before the swap): drop what ``prepare`` created.
- ``finish`` (after a successful swap): drop the replaced database. It is not kept: the
  pre-restore backup, made moments before the swap, already holds the same data, and a
  second full copy on the server would only fill its disk. If the drop fails, its name
  is logged and reported so an administrator can drop it by hand. When the live
  database could not be backed up (restore.py), there is no such copy: the replaced
  database is then kept, as ``vigia_replaced_<ts>_<hex>``, and reported.

The database user therefore needs the right to create databases (CREATEDB on
PostgreSQL, CREATE/DROP on MariaDB), which backups need anyway for their test restore.
Databases named ``vigia_restoring_*`` / ``vigia_replaced_*`` left by a restore that was
killed are dropped by the next restore once they are a day old.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from embedded_backend.backup.errors import BackupFailed, RestoreFailed, RestoreRefused
from embedded_backend.backup.listing import Backup
from embedded_backend.backup.scratch import _create, _drop, drop_old_databases, engine_for, reason
from embedded_backend.config import Settings
from embedded_backend.db.engine import create_db_engine
from embedded_backend.db.migrate import migrate_to_head

log = logging.getLogger(__name__)

RESTORING = "vigia_restoring_"
REPLACED = "vigia_replaced_"
_NAME = re.compile(r"^vigia_(?:restoring|replaced)_(\d{14})_[0-9a-f]{8}$")


def new_name(prefix: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{prefix}{now:%Y%m%d%H%M%S}_{secrets.token_hex(4)}"


def drop_leaked(admin: Engine, now: datetime | None = None) -> list[str]:
    """Drop ``vigia_restoring_*`` / ``vigia_replaced_*`` databases older than a day."""
    return drop_old_databases(admin, "vigia\\_re%", _NAME, "restore", now)


class ServerTarget:
    """The live database on the server of ``url``, and the new one the backup goes into."""

    kind = "server"

    def __init__(self, settings: Settings, url: URL) -> None:
        self.settings = settings
        self.url = url
        self.live = url.database or ""
        now = datetime.now(UTC)
        self.new = new_name(RESTORING, now)
        self.old = new_name(REPLACED, now)
        self.description = url.render_as_string(hide_password=True)
        self.keep_replaced = False
        self._created: list[str] = []

    def replaced_location(self) -> str | None:
        return f"database {self.old} on the same server"

    # -- what each server does differently -----------------------------------------------
    def load(self, backup: Backup) -> None:
        raise NotImplementedError

    def check_server(self, admin: Engine) -> None:
        """Refuse early (before anything is created) what the swap could not do."""

    def swap(self) -> None:
        raise NotImplementedError

    def databases_to_create(self) -> list[str]:
        return [self.new]

    # -- shared steps ----------------------------------------------------------------------
    def prepare(self, backup: Backup) -> None:
        if not self.live:
            raise RestoreRefused("the database URL names no database; nothing was changed")
        admin = engine_for(self.url)
        try:
            try:
                self.check_server(admin)
                drop_leaked(admin)
                for name in self.databases_to_create():
                    _create(admin, name)
                    self._created.append(name)
            except SQLAlchemyError as exc:
                raise RestoreRefused(
                    f"cannot create a database on the server for the restore ({reason(exc)}); "
                    "the database user needs the right to create databases. Nothing was changed"
                ) from None
        finally:
            admin.dispose()
        try:
            self.load(backup)
        except BackupFailed as exc:
            raise RestoreFailed(
                f"the backup could not be loaded into a new database ({exc}); the live "
                "database was not touched"
            ) from None
        log.info("restore: backup %s loaded into %s", backup.id, self.new)

    def migrate(self) -> str:
        engine = create_db_engine(self.settings, self.url.set(database=self.new))
        try:
            return migrate_to_head(engine)
        finally:
            engine.dispose()

    def seal(self) -> None:
        return None  # the server made the new database durable as it loaded it

    def discard(self) -> None:
        self._drop_quietly(list(reversed(self._created)))
        self._created.clear()

    def finish(self) -> str | None:
        """Drop the replaced database (unless it is kept); a note when that failed."""
        doomed = [n for n in self._created if n != self.old]
        if not self.keep_replaced:
            doomed.insert(0, self.old)
        left = self._drop_quietly(doomed)
        self._created.clear()
        if left:
            return (
                f"the replaced database {', '.join(left)} could not be dropped; drop it by "
                "hand (the pre-restore backup holds its data)"
            )
        return None

    def _drop_quietly(self, names: list[str]) -> list[str]:
        left: list[str] = []
        if not names:
            return left
        admin = engine_for(self.url)
        try:
            for name in names:
                try:
                    _drop(admin, name)
                except SQLAlchemyError as exc:
                    log.warning("could not drop database %s (%s); drop it by hand", name,
                                reason(exc))  # fmt: skip
                    left.append(name)
        finally:
            admin.dispose()
        return left
