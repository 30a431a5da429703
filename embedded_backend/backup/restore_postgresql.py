"""PostgreSQL restore: ``pg_restore`` into a new database, then two renames in one
transaction.

The swap, on a connection to the server's ``postgres`` database (``template1`` if that
one is closed to us; a database cannot be renamed by a connection to itself)::

    SELECT pg_terminate_backend(pid) ... -- everyone else on the live and the new database
    BEGIN;
    ALTER DATABASE live RENAME TO vigia_replaced_<ts>_<hex>;
    ALTER DATABASE vigia_restoring_<ts>_<hex> RENAME TO live;
    COMMIT;

Both renames commit together or not at all. ``ALTER DATABASE ... RENAME`` refuses while
anyone is connected to the database; the backend has closed its own connections (gate
closed, pool disposed), other sessions of the same user are terminated (a superuser
terminates any), and the renames are retried for up to :data:`RENAME_WAIT_S` while
terminated sessions go away. A session of another role that stays connected makes the
restore fail, unchanged, with its user named.

Renaming needs the database user to own the live database (or be a superuser) and to
have CREATEDB: both are checked before anything is created.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from embedded_backend.backup import postgresql
from embedded_backend.backup.errors import RestoreFailed, RestoreRefused
from embedded_backend.backup.listing import Backup
from embedded_backend.backup.restore_servers import ServerTarget
from embedded_backend.backup.scratch import engine_for, quote, reason

log = logging.getLogger(__name__)

MAINTENANCE_DATABASES = ("postgres", "template1")
RENAME_WAIT_S = 10.0
OBJECT_IN_USE = "55006"

_TERMINATE = text(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname IN (:live, :new) AND pid <> pg_backend_pid() "
    "AND (usename = current_user "
    "     OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user))"
)
_OTHERS = text(
    "SELECT DISTINCT usename FROM pg_stat_activity "
    "WHERE datname IN (:live, :new) AND pid <> pg_backend_pid()"
)
_MAY_RENAME = text(
    "SELECT pg_get_userbyid(d.datdba) = current_user "
    "       OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), "
    "       (SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user) "
    "FROM pg_database d WHERE d.datname = :live"
)


class PostgresTarget(ServerTarget):
    kind = "postgresql"

    def check_server(self, admin: Engine) -> None:
        with admin.connect() as conn:
            row = conn.execute(_MAY_RENAME, {"live": self.live}).first()
        if row is None:
            raise RestoreRefused(f"there is no database {self.live} on the server")
        owner, createdb = bool(row[0]), bool(row[1])
        if not createdb:
            raise RestoreRefused(
                "the database user may not create databases (CREATEDB), which a restore "
                "needs; nothing was changed"
            )
        if not owner:
            raise RestoreRefused(
                f"the database user does not own the database {self.live}, so it cannot "
                "swap in the restored one; make it the owner (ALTER DATABASE ... OWNER TO) "
                "and try again. Nothing was changed"
            )
        self._maintenance_engine().dispose()  # refuse now if there is none to use

    def load(self, backup: Backup) -> None:
        postgresql.restore_into(self.url, self.new, backup.path)

    def _maintenance_engine(self) -> Engine:
        for name in MAINTENANCE_DATABASES:
            if name == self.live:
                continue
            engine = engine_for(self.url, name)
            try:
                with engine.connect():
                    return engine
            except SQLAlchemyError:
                engine.dispose()
        raise RestoreRefused(
            "cannot connect to the server's 'postgres' (or 'template1') database, which "
            "swapping in the restored database needs; nothing was changed"
        )

    def swap(self) -> None:
        engine = self._maintenance_engine()
        try:
            self._rename(engine)
        finally:
            engine.dispose()
        log.info("restore: database %s replaced (the old one is now %s)", self.live, self.old)

    def _rename(self, engine: Engine) -> None:
        names = {"live": self.live, "new": self.new}
        deadline = time.monotonic() + RENAME_WAIT_S
        with engine.connect() as conn:
            q_live, q_new, q_old = (quote(conn, n) for n in (self.live, self.new, self.old))
            while True:
                conn.execute(_TERMINATE, names)
                conn.commit()
                try:
                    conn.execute(text(f"ALTER DATABASE {q_live} RENAME TO {q_old}"))
                    conn.execute(text(f"ALTER DATABASE {q_new} RENAME TO {q_live}"))
                    conn.commit()
                    return
                except DBAPIError as exc:
                    conn.rollback()
                    state = getattr(exc.orig, "sqlstate", None)
                    if state == OBJECT_IN_USE and time.monotonic() < deadline:
                        time.sleep(0.1)
                        continue
                    who = ""
                    if state == OBJECT_IN_USE:
                        users = [str(r[0]) for r in conn.execute(_OTHERS, names)]
                        who = f" (still connected: {', '.join(users) or 'unknown'})"
                    raise RestoreFailed(
                        f"could not swap in the restored database: {reason(exc)}{who}; the "
                        "live database is unchanged"
                    ) from None
