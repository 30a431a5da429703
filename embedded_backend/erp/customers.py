"""Customers, identified by a verified CPF or CNPJ. Each change is audited
(``customer.create`` / ``customer.update`` / ``customer.delete``, see erp/audit.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from embedded_backend.db.models import Customer, Order
from embedded_backend.erp import audit
from embedded_backend.erp.documents import normalize_document
from embedded_backend.erp.paging import get_or_404
from embedded_backend.errors import ConflictError
from embedded_backend.schemas.customers import CustomerCreate, CustomerUpdate


def _ensure_document_free(session: Session, document: str, customer_id: int | None) -> None:
    query = select(Customer.id).where(Customer.document == document)
    if customer_id is not None:
        query = query.where(Customer.id != customer_id)
    if session.scalar(query) is not None:
        raise ConflictError("a customer with this document already exists")


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError("a customer with this document already exists") from None


def summary(customer: Customer) -> dict[str, Any]:
    """What the audit log keeps of a customer."""
    return {
        "name": customer.name,
        "document": customer.document,
        "document_type": customer.document_type,
        "email": customer.email,
        "phone": customer.phone,
    }


def create_customer(session: Session, data: CustomerCreate, *, actor: str) -> Customer:
    document, kind = normalize_document(data.document)
    _ensure_document_free(session, document, None)
    customer = Customer(
        name=data.name,
        document=document,
        document_type=kind,
        email=str(data.email) if data.email else None,
        phone=data.phone,
    )
    session.add(customer)
    _flush(session)
    audit.record_create(session, actor, "customer.create", str(customer.id), summary(customer))
    return customer


def update_customer(
    session: Session, customer_id: int, data: CustomerUpdate, *, actor: str
) -> Customer:
    customer = get_or_404(session, Customer, customer_id, "customer")
    before = summary(customer)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("document"):
        document, kind = normalize_document(changes.pop("document"))
        _ensure_document_free(session, document, customer_id)
        customer.document, customer.document_type = document, kind
    changes.pop("document", None)
    if "name" in changes and changes["name"] is None:
        changes.pop("name")
    for key, value in changes.items():
        setattr(customer, key, str(value) if key == "email" and value else value)
    _flush(session)
    audit.record_update(
        session, actor, "customer.update", str(customer_id), before, summary(customer)
    )
    return customer


def delete_customer(session: Session, customer_id: int, *, actor: str) -> None:
    customer = get_or_404(session, Customer, customer_id, "customer")
    if session.scalar(select(exists().where(Order.customer_id == customer_id))):
        raise ConflictError(f"customer {customer_id} has orders and cannot be deleted")
    audit.record_delete(session, actor, "customer.delete", str(customer_id), summary(customer))
    session.delete(customer)
