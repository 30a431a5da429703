"""Which database failures are worth retrying the whole transaction for."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
_PG_RETRY_CODES = frozenset({"40001", "40P01"})  # serialization failure, deadlock
_MYSQL_RETRY_CODES = frozenset({1205, 1213})  # lock wait timeout, deadlock


def is_lock_conflict(exc: BaseException) -> bool:
    """A transient conflict with another writer: retry the whole transaction."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    message = str(orig).lower()
    if any(text in message for text in _SQLITE_BUSY):
        return True
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in _PG_RETRY_CODES:
        return True
    args: tuple[object, ...] = tuple(getattr(orig, "args", ()))
    return len(args) > 0 and args[0] in _MYSQL_RETRY_CODES


def is_connection_failure(exc: BaseException) -> bool:
    """The database could not be reached (as opposed to a bad statement)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError) and not is_lock_conflict(exc)
