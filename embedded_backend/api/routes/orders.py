"""/api/v1/orders: creating an order takes the stock in the same transaction.

Orders change products' stock (create, cancel, re-confirm, delete), so each write
invalidates the cached products it touched, after its transaction (also when it raised:
a commit whose answer was lost may still have landed). Writes are audited by the caller's
name in the same transaction (erp/orders.py).
"""

from __future__ import annotations

from fastapi import APIRouter, status
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
from embedded_backend.api.routes.products import NS as PRODUCTS
from embedded_backend.db.models import Order
from embedded_backend.erp import orders
from embedded_backend.erp.paging import get_or_404, page
from embedded_backend.schemas.common import Page
from embedded_backend.schemas.orders import OrderCreate, OrderOut, OrderUpdate

router = APIRouter(tags=["orders"])


@router.get("", response_model=Page[OrderOut])
def list_orders(session: SessionDep, paging: PagingDep, _: CurrentUser) -> Page[OrderOut]:
    rows, total = page(session, Order, paging.limit, paging.offset)
    return Page(items=[OrderOut.model_validate(r) for r in rows], total=total)


@router.post("", response_model=OrderOut, status_code=status.HTTP_201_CREATED)
def create_order(data: OrderCreate, db: DbDep, cache: CacheDep, user: CurrentUser) -> OrderOut:
    try:
        return db.write(
            lambda s: OrderOut.model_validate(orders.create_order(s, data, actor=user.name))
        )
    finally:
        cache.invalidate(PRODUCTS, *sorted({item.product_id for item in data.items}))


@router.get("/{order_id}", response_model=OrderOut)
def get_order(order_id: ItemId, session: SessionDep, _: CurrentUser) -> OrderOut:
    return OrderOut.model_validate(get_or_404(session, Order, order_id, "order"))


@router.patch("/{order_id}", response_model=OrderOut)
def update_order(
    order_id: ItemId, data: OrderUpdate, db: DbDep, cache: CacheDep, user: CurrentUser
) -> OrderOut:
    touched: set[int] = set()

    def work(s: Session) -> OrderOut:
        touched.update(_product_ids(s, order_id))
        order = orders.set_order_status(s, order_id, data.status, actor=user.name)
        return OrderOut.model_validate(order)

    try:
        return db.write(work)
    finally:
        cache.invalidate(PRODUCTS, *sorted(touched))


@router.delete("/{order_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_order(order_id: ItemId, db: DbDep, cache: CacheDep, admin: AdminDep) -> None:
    touched: set[int] = set()

    def work(s: Session) -> None:
        touched.update(_product_ids(s, order_id))
        orders.delete_order(s, order_id, actor=admin.name)

    try:
        db.write(work)
    finally:
        cache.invalidate(PRODUCTS, *sorted(touched))


def _product_ids(session: Session, order_id: int) -> list[int]:
    order = session.get(Order, order_id)
    return [] if order is None else [item.product_id for item in order.items]
