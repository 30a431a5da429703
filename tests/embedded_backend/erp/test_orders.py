"""Order service on a real SQLite file: exact money, merged lines, all-or-nothing stock."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from embedded_backend.db.database import Database
from embedded_backend.db.models import Order, OrderItem, Product
from embedded_backend.erp import customers, orders, products
from embedded_backend.errors import (
    ConflictError,
    InsufficientStockError,
    InvalidDataError,
    NotFoundError,
)
from embedded_backend.schemas.customers import CustomerCreate
from embedded_backend.schemas.orders import OrderCreate, OrderItemIn
from embedded_backend.schemas.products import ProductCreate, ProductUpdate


def _product(db: Database, sku: str, price: str, stock: int) -> int:
    data = ProductCreate(sku=sku, name=f"Produto {sku}", price=Decimal(price), stock=stock)
    return db.write(lambda s: products.create_product(s, data, actor="tester").id)


def _customer(db: Database, document: str = "52998224725") -> int:
    data = CustomerCreate(name="Cliente", document=document)
    return db.write(lambda s: customers.create_customer(s, data, actor="tester").id)


def _order(db: Database, customer_id: int, *lines: tuple[int, int]) -> Order:
    data = OrderCreate(
        customer_id=customer_id, items=[OrderItemIn(product_id=p, quantity=q) for p, q in lines]
    )
    return db.write(lambda s: orders.create_order(s, data, actor="tester"))


def _stock(db: Database, product_id: int) -> int:
    with db.read_session() as s:
        return s.get(Product, product_id).stock  # type: ignore[union-attr]


def _count(db: Database, model: type) -> int:
    with db.read_session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_totals_are_exact_decimals(db: Database) -> None:
    cid = _customer(db)
    a = _product(db, "A", "19.99", 100)
    b = _product(db, "B", "0.10", 100)
    c = _product(db, "C", "0.01", 1000)

    order = _order(db, cid, (a, 3))
    assert order.total == Decimal("59.97")
    assert isinstance(order.total, Decimal)

    order = _order(db, cid, (b, 3), (c, 7), (a, 1))
    assert order.total == Decimal("20.36")  # 0.30 + 0.07 + 19.99, no float noise
    assert [(i.product_id, i.quantity, i.unit_price, i.line_total) for i in order.items] == [
        (a, 1, Decimal("19.99"), Decimal("19.99")),
        (b, 3, Decimal("0.10"), Decimal("0.30")),
        (c, 7, Decimal("0.01"), Decimal("0.07")),
    ]
    with db.read_session() as s:
        stored = s.get(Order, order.id)
        assert stored is not None and stored.total == Decimal("20.36")
        assert sum(i.line_total for i in stored.items) == stored.total


def test_large_quantities_and_prices_stay_exact(db: Database) -> None:
    cid = _customer(db)
    p = _product(db, "BIG", "99999.99", 1_000_000)
    order = _order(db, cid, (p, 99_999))
    assert order.total == Decimal("99999.99") * 99_999 == Decimal("9999899000.01")
    with db.read_session() as s:
        assert s.get(Order, order.id).total == Decimal("9999899000.01")  # type: ignore[union-attr]


def test_duplicate_product_lines_are_merged(db: Database) -> None:
    cid = _customer(db)
    p = _product(db, "P", "2.50", 10)
    q = _product(db, "Q", "1.00", 10)
    order = _order(db, cid, (p, 2), (q, 1), (p, 3), (p, 1))
    assert [(i.product_id, i.quantity) for i in order.items] == [(p, 6), (q, 1)]
    assert order.total == Decimal("16.00")
    assert _stock(db, p) == 4 and _stock(db, q) == 9
    assert _count(db, OrderItem) == 2


def test_short_stock_writes_nothing(db: Database) -> None:
    cid = _customer(db)
    plenty = _product(db, "PLENTY", "1.00", 100)
    scarce = _product(db, "SCARCE", "1.00", 1)
    with pytest.raises(InsufficientStockError, match="SCARCE: 2 ordered, 1 available"):
        _order(db, cid, (plenty, 50), (scarce, 2))
    assert _stock(db, plenty) == 100 and _stock(db, scarce) == 1
    assert _count(db, Order) == 0 and _count(db, OrderItem) == 0

    # Merged lines are checked together.
    with pytest.raises(InsufficientStockError):
        _order(db, cid, (scarce, 1), (scarce, 1))
    assert _stock(db, scarce) == 1 and _count(db, Order) == 0


def test_unknown_customer_or_product_is_invalid_data(db: Database) -> None:
    cid = _customer(db)
    p = _product(db, "P", "1.00", 5)
    with pytest.raises(InvalidDataError, match="customer 999"):
        _order(db, 999, (p, 1))
    with pytest.raises(InvalidDataError, match="product"):
        _order(db, cid, (p, 1), (12345, 1))
    assert _stock(db, p) == 5 and _count(db, Order) == 0


def test_cancel_confirm_delete_move_stock_exactly_once(db: Database) -> None:
    cid = _customer(db)
    p = _product(db, "P", "3.00", 10)
    order = _order(db, cid, (p, 4))
    assert _stock(db, p) == 6

    db.write(lambda s: orders.set_order_status(s, order.id, "cancelled", actor="tester"))
    db.write(lambda s: orders.set_order_status(s, order.id, "cancelled", actor="tester"))
    assert _stock(db, p) == 10
    db.write(lambda s: orders.set_order_status(s, order.id, "confirmed", actor="tester"))
    db.write(lambda s: orders.set_order_status(s, order.id, "confirmed", actor="tester"))
    assert _stock(db, p) == 6

    db.write(lambda s: products.update_product(s, p, ProductUpdate(stock=2), actor="tester"))
    db.write(lambda s: orders.set_order_status(s, order.id, "cancelled", actor="tester"))
    assert _stock(db, p) == 6
    db.write(lambda s: products.update_product(s, p, ProductUpdate(stock=3), actor="tester"))
    with pytest.raises(InsufficientStockError):  # needs 4
        db.write(lambda s: orders.set_order_status(s, order.id, "confirmed", actor="tester"))
    assert _stock(db, p) == 3
    with db.read_session() as s:
        assert s.get(Order, order.id).status == "cancelled"  # type: ignore[union-attr]

    db.write(
        lambda s: orders.delete_order(s, order.id, actor="tester")
    )  # cancelled: stock not touched
    assert _stock(db, p) == 3
    assert _count(db, Order) == 0 and _count(db, OrderItem) == 0
    with pytest.raises(NotFoundError):
        db.write(lambda s: orders.delete_order(s, order.id, actor="tester"))


def test_products_in_orders_cannot_be_deleted(db: Database) -> None:
    cid = _customer(db)
    p = _product(db, "P", "3.00", 10)
    _order(db, cid, (p, 1))
    with pytest.raises(ConflictError):
        db.write(lambda s: products.delete_product(s, p, actor="tester"))
    with pytest.raises(ConflictError):
        db.write(lambda s: customers.delete_customer(s, cid, actor="tester"))
    assert _stock(db, p) == 9


def test_threads_racing_for_the_last_units(db: Database) -> None:
    cid = _customer(db)
    p = _product(db, "LAST", "1.00", 5)
    start = threading.Barrier(12)
    outcomes: list[str] = []

    def buy() -> None:
        start.wait()
        try:
            _order(db, cid, (p, 1))
            outcomes.append("ok")
        except InsufficientStockError:
            outcomes.append("short")

    threads = [threading.Thread(target=buy) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ok"] * 5 + ["short"] * 7
    assert _stock(db, p) == 0 and _count(db, Order) == 5
