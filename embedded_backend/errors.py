"""Exceptions raised by the backend.

The tree (everything derives from :class:`Error`)::

    Error
    ├── ConfigError           settings or vigia.toml cannot be used
    ├── DatabaseError
    │   ├── DatabaseUnavailable   cannot connect / circuit open
    │   │   ├── MaintenanceError  a restore is running: writes (or, during the swap,
    │   │   │                     all database work) refused for now (503 + Retry-After)
    │   │   └── DatabaseRefused   reachable, but changes are refused (503 + Retry-After)
    │   │       ├── DatabaseBusyError   locked by another program longer than the timeout
    │   │       └── DatabaseFileError   the SQLite file was deleted, replaced, made
    │   │                               read-only, or its disk is full
    │   └── UnsupportedDatabase   URL or path we refuse (network path for WAL, ...)
    ├── ServerStartError      the HTTP server could not start
    │   └── PortInUseError
    └── DomainError           a request the ERP refuses (translated to problem+json)
        ├── NotFoundError      404
        ├── ConflictError      409
        │   └── InsufficientStockError
        ├── InvalidDataError   422
        ├── AuthenticationError 401
        └── PermissionDeniedError 403

Errors are translated to something a person reads only at the edges: problem+json in
``api/problems.py``, a one-line message in the CLI.
"""

from __future__ import annotations


class Error(Exception):
    """Base class of every error Vigia raises on purpose."""


class ConfigError(Error):
    """The settings (environment or ``vigia.toml``) cannot be used."""


class DatabaseError(Error):
    """A problem with the database as a whole (not with one request's data)."""


class DatabaseUnavailable(DatabaseError):
    """The database cannot be reached right now."""


class MaintenanceError(DatabaseUnavailable):
    """The database is in maintenance (a backup is being restored); see db/gate.py.

    The message is plain words safe to show to a client; ``retry_after_s`` is the wait
    to suggest (``Retry-After``); ``write`` tells whether a write was refused.
    """

    def __init__(self, message: str, retry_after_s: int, *, write: bool) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.write = write


class DatabaseRefused(DatabaseUnavailable):
    """The database answers, but a change could not be saved, for a reason a person can
    fix. The message is plain words safe to show to a client (what happened, what to do);
    ``retry_after_s`` is the wait to suggest."""

    title = "Database unavailable"

    def __init__(self, message: str, retry_after_s: int = 5) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class DatabaseBusyError(DatabaseRefused):
    """Another program (or a long change) held the write lock longer than the busy timeout."""

    title = "Database busy"


class DatabaseFileError(DatabaseRefused):
    """The SQLite file under the running server is gone, replaced, read-only or out of space.

    ``kind`` is one of ``deleted``, ``replaced``, ``read_only``, ``disk_full``.
    """

    title = "Database file problem"

    def __init__(self, message: str, kind: str, retry_after_s: int = 5) -> None:
        super().__init__(message, retry_after_s)
        self.kind = kind


class UnsupportedDatabase(DatabaseError):
    """A database URL or location Vigia refuses to use."""


class ServerStartError(Error):
    """The HTTP server could not start."""


class PortInUseError(ServerStartError):
    """The TCP port is held by another process."""

    def __init__(self, host: str, port: int, holder: str | None) -> None:
        self.host = host
        self.port = port
        self.holder = holder
        who = f" by {holder}" if holder else " by another program"
        super().__init__(
            f"port {port} on {host} is already in use{who}; stop that program or set "
            f"VIGIA_PORT to a free port"
        )


class DomainError(Error):
    """A request the ERP refuses; the message is safe to show to the client."""

    title = "Request refused"


class NotFoundError(DomainError):
    title = "Not found"


class ConflictError(DomainError):
    title = "Conflict"


class InsufficientStockError(ConflictError):
    title = "Not enough stock"


class InvalidDataError(DomainError):
    title = "Invalid data"


class AuthenticationError(DomainError):
    title = "Not authenticated"


class PermissionDeniedError(DomainError):
    title = "Permission denied"
