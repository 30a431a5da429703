"""Users and roles; the first-run admin account."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from embedded_backend.db.models import User
from embedded_backend.erp.paging import get_or_404
from embedded_backend.errors import ConflictError, NotFoundError
from embedded_backend.schemas.users import UserCreate, UserUpdate
from embedded_backend.security import hash_password, verify_password


def create_user(session: Session, data: UserCreate) -> User:
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise ConflictError(f"user '{data.username}' already exists")
    user = User(
        username=data.username,
        password_hash=hash_password(data.password),
        role=data.role,
        is_active=True,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(f"user '{data.username}' already exists") from None
    return user


def update_user(session: Session, user_id: int, data: UserUpdate) -> User:
    user = get_or_404(session, User, user_id, "user")
    if data.password is not None:
        user.password_hash = hash_password(data.password)
    if data.role is not None:
        user.role = data.role
    if data.is_active is not None:
        user.is_active = data.is_active
    session.flush()
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def set_password(session: Session, username: str, password: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise NotFoundError(f"user '{username}' does not exist")
    user.password_hash = hash_password(password)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = find_user(session, username)
    if user is not None and user.username != username:
        user = None  # MariaDB's collation ignores case and trailing spaces; logins are exact
    ok = verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        return None
    return user


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


def count_active_admins(session: Session) -> int:
    query = select(func.count()).select_from(User).where(User.role == "admin", User.is_active)
    return int(session.scalar(query) or 0)
