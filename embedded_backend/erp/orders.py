"""Orders: stock is taken in the same transaction as the order is written.

Stock is decremented with a conditional ``UPDATE ... WHERE stock >= quantity``, so two
orders racing for the last unit can never both succeed, on any of the three databases;
a ``CHECK (stock >= 0)`` in the schema backs this up.

Money is exact: ``Decimal`` from the request to the column, and a total above the largest
amount a money column holds (``MONEY_MAX``) is refused (422) before anything is written;
otherwise PostgreSQL and MariaDB would fail the insert (a 503 saying the database is
unreachable) and SQLite would store a number its column was not meant to hold.

Each change is audited in the same transaction (see erp/audit.py): ``order.create`` and
``order.delete`` with the customer, the items (product, quantity), the status and the
total; ``order.update`` with the status before and after.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from embedded_backend.db.models import Customer, Order, OrderItem, Product
from embedded_backend.erp import audit
from embedded_backend.erp.paging import get_or_404
from embedded_backend.errors import InsufficientStockError, InvalidDataError
from embedded_backend.schemas.common import CENT, MONEY_MAX
from embedded_backend.schemas.orders import OrderCreate


def _take_stock(session: Session, product_id: int, quantity: int) -> bool:
    """Decrement stock if enough is left; False (nothing changed) otherwise."""
    result = session.execute(
        update(Product)
        .where(Product.id == product_id, Product.stock >= quantity)
        .values(stock=Product.stock - quantity)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def summary(order: Order) -> dict[str, Any]:
    """What the audit log keeps of an order."""
    return {
        "customer_id": order.customer_id,
        "status": order.status,
        "total": audit.money(order.total),
        "items": [{"product_id": i.product_id, "quantity": i.quantity} for i in order.items],
    }


def create_order(session: Session, data: OrderCreate, *, actor: str) -> Order:
    if session.get(Customer, data.customer_id) is None:
        raise InvalidDataError(f"customer {data.customer_id} does not exist")
    wanted: Counter[int] = Counter()
    for item in data.items:
        wanted[item.product_id] += item.quantity
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(wanted)))}
    missing = sorted(set(wanted) - products.keys())
    if missing:
        raise InvalidDataError(f"product(s) {', '.join(map(str, missing))} do not exist")

    unit_prices = {pid: Decimal(p.price).quantize(CENT) for pid, p in products.items()}
    total = sum((unit_prices[pid] * q for pid, q in wanted.items()), Decimal(0))
    if total > MONEY_MAX:
        raise InvalidDataError(
            f"the order total {total:.2f} is above the largest amount stored, {MONEY_MAX}; "
            "split it into smaller orders"
        )

    order = Order(
        customer_id=data.customer_id,
        status="confirmed",
        total=total.quantize(CENT),
        created_by=actor,
    )
    for product_id in sorted(wanted):  # fixed order: no deadlocks between orders
        product, quantity = products[product_id], wanted[product_id]
        if not _take_stock(session, product_id, quantity):
            session.refresh(product, ["stock"])
            raise InsufficientStockError(
                f"not enough stock for product {product.sku}: {quantity} ordered, "
                f"{product.stock} available"
            )
        unit_price = unit_prices[product_id]
        line_total = (unit_price * quantity).quantize(CENT)
        order.items.append(
            OrderItem(
                product_id=product_id,
                quantity=quantity,
                unit_price=unit_price,
                line_total=line_total,
            )
        )
    session.add(order)
    session.flush()
    audit.record_create(session, actor, "order.create", str(order.id), summary(order))
    return order


def _restore_stock(session: Session, order: Order) -> None:
    for item in order.items:
        session.execute(
            update(Product)
            .where(Product.id == item.product_id)
            .values(stock=Product.stock + item.quantity)
            .execution_options(synchronize_session=False)
        )


def set_order_status(session: Session, order_id: int, status: str, *, actor: str) -> Order:
    order = get_or_404(session, Order, order_id, "order")
    if order.status == status:
        return order
    before = order.status
    if status == "cancelled":
        _restore_stock(session, order)
    else:  # re-confirm a cancelled order: take the stock again
        for item in sorted(order.items, key=lambda i: i.product_id):
            if not _take_stock(session, item.product_id, item.quantity):
                raise InsufficientStockError(
                    f"not enough stock for product {item.product_id} to confirm order {order_id}"
                )
    order.status = status
    session.flush()
    audit.record_update(
        session, actor, "order.update", str(order_id), {"status": before}, {"status": status}
    )
    return order


def delete_order(session: Session, order_id: int, *, actor: str) -> None:
    order = get_or_404(session, Order, order_id, "order")
    audit.record_delete(session, actor, "order.delete", str(order_id), summary(order))
    if order.status == "confirmed":
        _restore_stock(session, order)
    session.delete(order)
