"""The audit log: who did what, when, from which request.

Rows hold names, actions, targets and small summaries; callers must never pass a
password, a token or a hash in ``detail`` (``api/routes/test_audit.py`` greps for them).

Changes to ERP records are recorded by the ``erp`` functions themselves, in the
transaction that makes the change (so a failed write leaves no row, and a retried one
leaves one): ``<resource>.create`` with ``{"after": summary}``, ``<resource>.update`` with
``{"changes": {field: {"before": old, "after": new}}}`` (only the fields that changed; an
update that changes nothing is not recorded) and ``<resource>.delete`` with
``{"before": summary}``. Summaries are small JSON values: money as text (``"12.50"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from asgi_correlation_id import correlation_id
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from embedded_backend.db.models import AuditLog
from embedded_backend.schemas.common import CENT


def record(
    session: Session,
    actor: str,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditLog(
            actor=actor,
            action=action,
            target=target,
            detail=detail,
            request_id=correlation_id.get(),
        )
    )


def money(value: Decimal) -> str:
    """A money amount as JSON-safe text with two decimals: ``Decimal("12.5")`` -> ``"12.50"``."""
    return str(Decimal(value).quantize(CENT))


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields whose values differ, as ``{field: {"before": old, "after": new}}``."""
    keys = [*before, *(key for key in after if key not in before)]
    return {
        key: {"before": before.get(key), "after": after.get(key)}
        for key in keys
        if before.get(key) != after.get(key)
    }


def record_create(
    session: Session, actor: str, action: str, target: str, after: dict[str, Any]
) -> None:
    record(session, actor, action, target, {"after": after})


def record_update(
    session: Session,
    actor: str,
    action: str,
    target: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> bool:
    """Record the changed fields; nothing (and False) when nothing changed."""
    diff = changes(before, after)
    if not diff:
        return False
    record(session, actor, action, target, {"changes": diff})
    return True


def record_delete(
    session: Session, actor: str, action: str, target: str, before: dict[str, Any]
) -> None:
    record(session, actor, action, target, {"before": before})


@dataclass(frozen=True)
class AuditFilter:
    """``actor`` exact; ``action`` exact, or a prefix when it ends in ``*`` (``auth.*``);
    ``since`` inclusive, ``until`` exclusive; naive datetimes are taken as UTC."""

    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.actor is not None:
            out.append(AuditLog.actor == self.actor)
        if self.action is not None:
            if self.action.endswith("*"):
                prefix = self.action[:-1]
                escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                out.append(AuditLog.action.like(f"{escaped}%", escape="\\"))
            else:
                out.append(AuditLog.action == self.action)
        if self.since is not None:
            out.append(AuditLog.at >= _utc(self.since))
        if self.until is not None:
            out.append(AuditLog.at < _utc(self.until))
        return out


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def search(
    session: Session, where: AuditFilter, limit: int, offset: int
) -> tuple[list[AuditLog], int]:
    """Matching rows, newest first, and how many match in all."""
    conditions = where.conditions()
    total = session.scalar(select(func.count()).select_from(AuditLog).where(*conditions)) or 0
    rows = session.scalars(
        select(AuditLog).where(*conditions).order_by(AuditLog.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), int(total)
