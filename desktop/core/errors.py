"""Exceptions raised by the tray app's core.

The tree (everything derives from :class:`Error`)::

    Error
    ├── ConfigError    desktop settings that cannot be used
    ├── RemoteError    a backend on another machine refused or did not answer a request
    └── AdminError     an admin API call failed (admin_client.py); carries the HTTP
                       status and the problem+json ``detail``

Like the backend's errors, they are turned into words for a person only at the edges
(a dialog or a toast in the UI).
"""

from __future__ import annotations


class Error(Exception):
    """Base class of every error the desktop core raises on purpose."""


class ConfigError(Error):
    """A desktop setting has a value that cannot be used; the message says which."""


class RemoteError(Error):
    """A request to a remote backend failed; the message is plain words for the user."""


class AdminError(Error):
    """An admin API call did not succeed; the message is plain words for the user.

    ``status`` is the HTTP status (None when there was no answer) and ``detail`` the
    problem+json ``detail`` the backend sent, if any."""

    def __init__(self, message: str, status: int | None = None, detail: str | None = None):
        super().__init__(message)
        self.status = status
        self.detail = detail
