"""The audit helpers and the ERP functions' audit rows, on a real SQLite file: only changed
fields are recorded, values are plain JSON, and a retried transaction records once."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from embedded_backend.db.database import Database
from embedded_backend.db.models import AuditLog, Product
from embedded_backend.erp import audit, customers, orders, products
from embedded_backend.schemas.customers import CustomerCreate, CustomerUpdate
from embedded_backend.schemas.orders import OrderCreate, OrderItemIn
from embedded_backend.schemas.products import ProductCreate, ProductUpdate


def _rows(db: Database) -> list[tuple[str, str, str | None, object]]:
    with db.read_session() as s:
        rows = s.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        return [(r.actor, r.action, r.target, r.detail) for r in rows]


def test_changes_keep_only_differing_fields() -> None:
    before = {"name": "A", "price": "1.00", "email": None}
    after = {"name": "A", "price": "2.00", "email": "a@b.com.br"}
    assert audit.changes(before, after) == {
        "price": {"before": "1.00", "after": "2.00"},
        "email": {"before": None, "after": "a@b.com.br"},
    }
    assert audit.changes(before, dict(before)) == {}
    # A field only on one side counts as a change from/to None.
    assert audit.changes({"a": 1}, {"b": 2}) == {
        "a": {"before": 1, "after": None},
        "b": {"before": None, "after": 2},
    }


def test_money_is_text_with_two_places() -> None:
    assert audit.money(Decimal("12.5")) == "12.50"
    assert audit.money(Decimal("0")) == "0.00"
    assert audit.money(Decimal("9999899000.01")) == "9999899000.01"


def test_erp_functions_record_json_ready_summaries(db: Database) -> None:
    pid = db.write(
        lambda s: (
            products.create_product(
                s, ProductCreate(sku="P1", name="Pão", price=Decimal("0.5"), stock=10), actor="ana"
            ).id
        )
    )
    cid = db.write(
        lambda s: (
            customers.create_customer(
                s, CustomerCreate(name="Ana", document="529.982.247-25"), actor="ana"
            ).id
        )
    )
    db.write(
        lambda s: customers.update_customer(
            s, cid, CustomerUpdate(name="Ana Maria", document="52998224725"), actor="ana"
        )
    )
    order = OrderCreate(customer_id=cid, items=[OrderItemIn(product_id=pid, quantity=3)])
    oid = db.write(lambda s: orders.create_order(s, order, actor="ana").id)
    # Same status again: nothing changes, nothing is recorded.
    db.write(lambda s: orders.set_order_status(s, oid, "confirmed", actor="ana"))

    rows = _rows(db)
    assert rows == [
        (
            "ana",
            "product.create",
            str(pid),
            {"after": {"sku": "P1", "name": "Pão", "price": "0.50", "stock": 10}},
        ),
        (
            "ana",
            "customer.create",
            str(cid),
            {
                "after": {
                    "name": "Ana",
                    "document": "52998224725",
                    "document_type": "cpf",
                    "email": None,
                    "phone": None,
                }
            },
        ),
        # The same document in another spelling is no change.
        (
            "ana",
            "customer.update",
            str(cid),
            {"changes": {"name": {"before": "Ana", "after": "Ana Maria"}}},
        ),
        (
            "ana",
            "order.create",
            str(oid),
            {
                "after": {
                    "customer_id": cid,
                    "status": "confirmed",
                    "total": "1.50",
                    "items": [{"product_id": pid, "quantity": 3}],
                }
            },
        ),
    ]
    json.dumps([r[3] for r in rows])  # plain JSON all the way down


def test_a_retried_transaction_records_once(db: Database) -> None:
    """``Database.write`` may run the work again after a lock conflict; the first attempt's
    audit row is rolled back with the rest of it."""
    attempts: list[int] = []

    def work(s: Session) -> int:
        attempts.append(1)
        product = products.create_product(
            s, ProductCreate(sku="R1", name="Retry", price=Decimal(1), stock=1), actor="ana"
        )
        products.update_product(s, product.id, ProductUpdate(stock=2), actor="ana")
        if len(attempts) == 1:  # what SQLite raises when another writer holds the lock
            raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))
        return product.id

    pid = db.write(work)
    assert len(attempts) == 2
    assert [(action, target) for _, action, target, _ in _rows(db)] == [
        ("product.create", str(pid)),
        ("product.update", str(pid)),
    ]
    with db.read_session() as s:
        assert len(s.scalars(select(Product)).all()) == 1
