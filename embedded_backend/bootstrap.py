"""First-run work after the schema is in place: the initial admin account."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from embedded_backend.db.database import Database
from embedded_backend.erp import audit, users
from embedded_backend.schemas.users import UserCreate
from embedded_backend.secrets import ADMIN_PASSWORD, Keyring
from embedded_backend.security import generate_password

log = logging.getLogger(__name__)

ADMIN_USERNAME = "admin"


def ensure_admin_user(db: Database, store: Keyring | None = None) -> bool:
    """Create user ``admin`` with a random password when no active administrator exists
    (first run, or every admin account was removed) and the name ``admin`` is free.

    The password goes to the system keyring (service ``vigia``, name ``admin_password``);
    it is never logged. Returns True when the account was created now.
    """
    store = store or Keyring()
    password = generate_password()

    def work(session: Session) -> bool:
        if users.count_active_admins(session) > 0 or users.find_user(session, ADMIN_USERNAME):
            return False
        users.create_user(
            session, UserCreate(username=ADMIN_USERNAME, password=password, role="admin")
        )
        audit.record(session, "vigia", "user.create", ADMIN_USERNAME, {"first_run": True})
        return True

    created: bool = db.write(work)
    if not created:
        return False
    if store.set(ADMIN_PASSWORD, password):
        log.info(
            "created the first user '%s'; its password is in the system keyring "
            "(service 'vigia', entry 'admin_password')",
            ADMIN_USERNAME,
        )
    else:
        log.warning(
            "created the first user '%s', but its random password could not be "
            "saved (no keyring); set one with: vigia users reset-password %s",
            ADMIN_USERNAME,
            ADMIN_USERNAME,
        )
    return True
