"""MariaDB restore: the dump loaded into a new database, then one ``RENAME TABLE``.

MariaDB cannot rename a database, but ``RENAME TABLE`` moves tables between databases,
and one statement renaming many tables is atomic (MariaDB 10.6+: all of them or none,
even across a crash)::

    RENAME TABLE live.a TO vigia_replaced_<ts>.a, live.b TO vigia_replaced_<ts>.b, ...,
                 vigia_restoring_<ts>.a TO live.a, vigia_restoring_<ts>.b TO live.b, ...

Every base table of the live database moves out, every table of the restored one moves
in; foreign keys move with their tables. Connections of other programs keep their
``live`` database selected and simply see the new tables. The statement waits for
metadata locks (a transaction still open on a table) at most :data:`LOCK_WAIT_S`
seconds per try; after :data:`ATTEMPTS` tries the restore fails with nothing changed.

Vigia's schema has only tables. A live or restored database holding views, triggers or
stored routines is refused before anything is created: moving them is not atomic.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from embedded_backend.backup import mariadb
from embedded_backend.backup.errors import RestoreFailed, RestoreRefused
from embedded_backend.backup.listing import Backup
from embedded_backend.backup.restore_servers import ServerTarget
from embedded_backend.backup.scratch import engine_for, quote, reason

log = logging.getLogger(__name__)

LOCK_WAIT_S = 10
ATTEMPTS = 3
LOCK_WAIT_TIMEOUT = 1205

_TABLES = text(
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_schema = :schema AND table_type = 'BASE TABLE' ORDER BY table_name"
)
_OTHER_OBJECTS = text(
    "SELECT (SELECT COUNT(*) FROM information_schema.views WHERE table_schema = :schema)"
    " + (SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = :schema)"
    " + (SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = :schema)"
)


def _tables(conn: Connection, schema: str) -> list[str]:
    return [str(row[0]) for row in conn.execute(_TABLES, {"schema": schema})]


def _refuse_other_objects(conn: Connection, schema: str, which: str) -> None:
    count = int(conn.execute(_OTHER_OBJECTS, {"schema": schema}).scalar_one())
    if count:
        raise RestoreRefused(
            f"the {which} database {schema} holds views, triggers or stored routines, which "
            "a restore cannot swap atomically; restore it by hand with the mariadb client. "
            "Nothing was changed"
        )


class MariadbTarget(ServerTarget):
    kind = "mariadb"

    def databases_to_create(self) -> list[str]:
        return [self.new, self.old]  # old: empty now, receives the live tables at the swap

    def check_server(self, admin: Engine) -> None:
        with admin.connect() as conn:
            _refuse_other_objects(conn, self.live, "live")

    def load(self, backup: Backup) -> None:
        mariadb.restore_into(self.url, self.new, backup.path)
        engine = engine_for(self.url, self.new)
        try:
            with engine.connect() as conn:
                _refuse_other_objects(conn, self.new, "restored")
        finally:
            engine.dispose()

    def swap(self) -> None:
        engine = engine_for(self.url)
        try:
            with engine.connect() as conn:
                conn.execute(text(f"SET SESSION lock_wait_timeout = {LOCK_WAIT_S}"))
                self._rename(conn)
        finally:
            engine.dispose()
        log.info("restore: tables of %s replaced (the old ones are in %s)", self.live, self.old)

    def _rename(self, conn: Connection) -> None:
        live_q, new_q, old_q = (quote(conn, n) for n in (self.live, self.new, self.old))
        moves = [
            f"{live_q}.{quote(conn, t)} TO {old_q}.{quote(conn, t)}"
            for t in _tables(conn, self.live)
        ]
        moves += [
            f"{new_q}.{quote(conn, t)} TO {live_q}.{quote(conn, t)}"
            for t in _tables(conn, self.new)
        ]
        if not moves:
            return
        statement = text("RENAME TABLE " + ", ".join(moves))
        for attempt in range(1, ATTEMPTS + 1):
            try:
                conn.execute(statement)
                return
            except DBAPIError as exc:
                code = exc.orig.args[0] if exc.orig is not None and exc.orig.args else None
                if code == LOCK_WAIT_TIMEOUT and attempt < ATTEMPTS:
                    log.info("restore: tables of %s are busy; trying the swap again", self.live)
                    continue
                raise RestoreFailed(
                    f"could not swap in the restored tables: {reason(exc)}; the live database "
                    "is unchanged (the swap is one atomic statement)"
                ) from None
