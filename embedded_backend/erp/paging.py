"""Listing with limit/offset and a total count."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from embedded_backend.db.models import Base

M = TypeVar("M", bound=Base)


def page(session: Session, model: type[M], limit: int, offset: int) -> tuple[list[M], int]:
    id_column: Any = model.id  # type: ignore[attr-defined]
    total = session.scalar(select(func.count()).select_from(model)) or 0
    rows = session.scalars(select(model).order_by(id_column).limit(limit).offset(offset)).all()
    return list(rows), int(total)


def get_or_404(session: Session, model: type[M], record_id: int, what: str) -> M:
    from embedded_backend.errors import NotFoundError

    row = session.get(model, record_id)
    if row is None:
        raise NotFoundError(f"{what} {record_id} does not exist")
    return row
