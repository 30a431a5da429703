"""Secrets: the admin token, the JWT signing key and the first admin password.

They come from the environment (servers, CI) or from the OS keyring (service ``vigia``);
never from a file. When a secret is absent it is generated (32 random bytes) and stored
in the keyring. When no keyring backend exists, a generated secret lives only in this
process's memory and a clear warning says how to make it permanent.
"""

from __future__ import annotations

import logging
import secrets as _random
from dataclasses import dataclass

import keyring
import keyring.errors

from embedded_backend.config import Settings

log = logging.getLogger(__name__)
_warned = False

SERVICE = "vigia"
# Names of keyring entries (not secrets themselves).
ADMIN_TOKEN = "admin_token"  # noqa: S105
SECRET_KEY = "secret_key"  # noqa: S105
ADMIN_PASSWORD = "admin_password"  # noqa: S105
# The password of a database URL kept without one (read by Settings; set by the tray's
# settings dialog). Not generated: it is the database server's.
DATABASE_PASSWORD = "database_password"  # noqa: S105


class Keyring:
    """Thin wrapper over :mod:`keyring` that never raises for a missing backend."""

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service
        self.unavailable_reason: str | None = None

    def get(self, name: str) -> str | None:
        try:
            return keyring.get_password(self.service, name)
        except keyring.errors.KeyringError as exc:
            self._unavailable(exc)
            return None

    def set(self, name: str, value: str) -> bool:
        try:
            keyring.set_password(self.service, name, value)
        except keyring.errors.KeyringError as exc:
            self._unavailable(exc)
            return False
        return True

    def _unavailable(self, exc: Exception) -> None:
        global _warned
        if self.unavailable_reason is None:
            self.unavailable_reason = f"{type(exc).__name__}: {str(exc).split(';')[0]}"
        if not _warned:
            _warned = True
            log.warning(
                "the system keyring is not available (%s); secrets generated now are kept "
                "in memory only and change at every start. Set VIGIA_ADMIN_TOKEN and "
                "VIGIA_SECRET_KEY, or install a keyring backend",
                self.unavailable_reason,
            )


@dataclass(frozen=True)
class Secrets:
    admin_token: str
    secret_key: str
    admin_token_source: str  # "environment", "keyring" or "memory"


def new_secret() -> str:
    return _random.token_urlsafe(32)


def _resolve(env_value: str | None, name: str, store: Keyring) -> tuple[str, str]:
    if env_value:
        return env_value, "environment"
    stored = store.get(name)
    if stored:
        return stored, "keyring"
    value = new_secret()
    if store.set(name, value):
        log.info("generated a new %s and stored it in the system keyring", name)
        return value, "keyring"
    return value, "memory"


def load_secrets(settings: Settings, store: Keyring | None = None) -> Secrets:
    """Return the secrets, generating and storing any that are missing."""
    store = store or Keyring()
    token_env = settings.admin_token.get_secret_value() if settings.admin_token else None
    key_env = settings.secret_key.get_secret_value() if settings.secret_key else None
    token, token_source = _resolve(token_env, ADMIN_TOKEN, store)
    key, _ = _resolve(key_env, SECRET_KEY, store)
    return Secrets(admin_token=token, secret_key=key, admin_token_source=token_source)


def peek_admin_token(settings: Settings, store: Keyring | None = None) -> str | None:
    """The admin token if one is configured or stored; never generates one."""
    if settings.admin_token:
        return settings.admin_token.get_secret_value()
    return (store or Keyring()).get(ADMIN_TOKEN)


DATABASE_LOGIN_FIX = (
    "set VIGIA_DATABASE_PASSWORD, or make the system keyring available and save the "
    "password again in the tray's settings"
)


def database_password_problem(settings: Settings, store: Keyring | None = None) -> str | None:
    """Why the database password is unknown, when it is kept in a keyring that does not
    answer (so a refused login can be traced to it); None when there is nothing to say."""
    if not settings.database_password_missing or settings.database_url is None:
        return None
    store = store or Keyring()
    if store.get(DATABASE_PASSWORD) is not None or store.unavailable_reason is None:
        return None
    from sqlalchemy.engine import make_url  # only for server URLs: SQLAlchemy is heavy

    user = make_url(settings.database_url).username
    return (
        f"database user '{user}' has no password in VIGIA_DATABASE_URL or "
        "VIGIA_DATABASE_PASSWORD, and the system keyring that keeps it is not available "
        f"({store.unavailable_reason}); Vigia connects without a password"
    )
