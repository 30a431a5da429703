from __future__ import annotations

from collections.abc import Callable

from embedded_backend.bootstrap import ensure_admin_user
from embedded_backend.config import Settings
from embedded_backend.db.database import Database
from embedded_backend.db.migrate import migrate_to_head
from embedded_backend.erp import users
from embedded_backend.schemas.users import UserCreate
from embedded_backend.security import verify_password
from tests.helpers.memory_keyring import MemoryKeyring


def _db(make_settings: Callable[..., Settings]) -> Database:
    db = Database(make_settings())
    migrate_to_head(db.engine)
    return db


def test_first_run_creates_admin_with_random_password_in_keyring(
    make_settings: Callable[..., Settings], memory_keyring: MemoryKeyring
) -> None:
    db = _db(make_settings)
    assert ensure_admin_user(db) is True
    password = memory_keyring.store[("vigia", "admin_password")]
    assert len(password) >= 20
    with db.read_session() as s:
        admin = users.find_user(s, "admin")
        assert admin is not None and admin.role == "admin"
        assert verify_password(password, admin.password_hash)
    assert ensure_admin_user(db) is False  # second start: nothing new
    db.dispose()


def test_only_staff_users_still_get_an_admin(make_settings: Callable[..., Settings]) -> None:
    db = _db(make_settings)
    db.write(lambda s: users.create_user(s, UserCreate(username="ana", password="x" * 10)))
    assert ensure_admin_user(db) is True
    db.dispose()


def test_an_existing_admin_under_another_name_is_enough(
    make_settings: Callable[..., Settings], memory_keyring: MemoryKeyring
) -> None:
    db = _db(make_settings)
    db.write(
        lambda s: users.create_user(s, UserCreate(username="boss", password="x" * 10, role="admin"))
    )
    assert ensure_admin_user(db) is False
    assert ("vigia", "admin_password") not in memory_keyring.store
    db.dispose()
