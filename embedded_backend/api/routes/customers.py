"""/api/v1/customers

``GET /{id}`` is served from the cache (namespace ``customers``, keyed by id); every write
invalidates the customer after its transaction (see embedded_backend/cache/front.py).
Writes are audited by the caller's name in the same transaction (erp/customers.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from embedded_backend.api.deps import (
    AdminDep,
    CacheDep,
    CurrentUser,
    DbDep,
    ItemId,
    PagingDep,
    SessionDep,
)
from embedded_backend.db.models import Customer
from embedded_backend.erp import customers
from embedded_backend.erp.paging import get_or_404, page
from embedded_backend.schemas.common import Page
from embedded_backend.schemas.customers import CustomerCreate, CustomerOut, CustomerUpdate

router = APIRouter(tags=["customers"])
NS = "customers"


@router.get("", response_model=Page[CustomerOut])
def list_customers(session: SessionDep, paging: PagingDep, _: CurrentUser) -> Page[CustomerOut]:
    rows, total = page(session, Customer, paging.limit, paging.offset)
    return Page(items=[CustomerOut.model_validate(r) for r in rows], total=total)


@router.post("", response_model=CustomerOut, status_code=status.HTTP_201_CREATED)
def create_customer(
    data: CustomerCreate, db: DbDep, cache: CacheDep, user: CurrentUser
) -> CustomerOut:
    out = db.write(
        lambda s: CustomerOut.model_validate(customers.create_customer(s, data, actor=user.name))
    )
    cache.invalidate(NS, out.id)
    return out


@router.get("/{customer_id}", response_model=CustomerOut)
def get_customer(
    customer_id: ItemId, session: SessionDep, cache: CacheDep, _: CurrentUser
) -> JSONResponse:
    def load() -> dict[str, Any]:
        row = get_or_404(session, Customer, customer_id, "customer")
        return CustomerOut.model_validate(row).model_dump(mode="json")

    return JSONResponse(cache.fetch(NS, customer_id, load))


@router.patch("/{customer_id}", response_model=CustomerOut)
def update_customer(
    customer_id: ItemId, data: CustomerUpdate, db: DbDep, cache: CacheDep, user: CurrentUser
) -> CustomerOut:
    def work(s: Session) -> CustomerOut:
        return CustomerOut.model_validate(
            customers.update_customer(s, customer_id, data, actor=user.name)
        )

    try:
        return db.write(work)
    finally:  # also on errors: a commit whose answer was lost may still have landed
        cache.invalidate(NS, customer_id)


@router.delete("/{customer_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_customer(customer_id: ItemId, db: DbDep, cache: CacheDep, admin: AdminDep) -> None:
    try:
        db.write(lambda s: customers.delete_customer(s, customer_id, actor=admin.name))
    finally:
        cache.invalidate(NS, customer_id)
