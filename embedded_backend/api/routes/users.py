"""/api/v1/users (administrators only)."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from embedded_backend.api.deps import AdminDep, DbDep, ItemId, PagingDep, SessionDep, StateDep
from embedded_backend.db.models import User
from embedded_backend.erp import audit, users
from embedded_backend.erp.paging import get_or_404, page
from embedded_backend.schemas.common import Page
from embedded_backend.schemas.users import UserCreate, UserOut, UserUpdate

router = APIRouter(tags=["users"])


@router.get("", response_model=Page[UserOut])
def list_users(session: SessionDep, paging: PagingDep, _: AdminDep) -> Page[UserOut]:
    rows, total = page(session, User, paging.limit, paging.offset)
    return Page(items=[UserOut.model_validate(r) for r in rows], total=total)


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(data: UserCreate, db: DbDep, admin: AdminDep) -> UserOut:
    def work(session: Session) -> UserOut:
        user = users.create_user(session, data)
        audit.record(session, admin.name, "user.create", data.username, {"role": data.role})
        return UserOut.model_validate(user)

    return db.write(work)


@router.get("/{user_id}", response_model=UserOut)
def get_user(user_id: ItemId, session: SessionDep, _: AdminDep) -> UserOut:
    return UserOut.model_validate(get_or_404(session, User, user_id, "user"))


@router.patch("/{user_id}", response_model=UserOut)
def update_user(
    user_id: ItemId, data: UserUpdate, state: StateDep, db: DbDep, admin: AdminDep
) -> UserOut:
    def work(session: Session) -> UserOut:
        user = users.update_user(session, user_id, data)
        changed = sorted(data.model_dump(exclude_none=True).keys())
        audit.record(session, admin.name, "user.update", user.username, {"fields": changed})
        return UserOut.model_validate(user)

    result = db.write(work)
    state.principals.forget_user(user_id)  # role or active flag may have changed
    return result


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(user_id: ItemId, state: StateDep, db: DbDep, admin: AdminDep) -> None:
    def work(session: Session) -> None:
        user = get_or_404(session, User, user_id, "user")
        audit.record(session, admin.name, "user.delete", user.username)
        session.delete(user)

    db.write(work)
    state.principals.forget_user(user_id)
