"""Products: create, change, remove (stock never below zero). Each change is audited
(``product.create`` / ``product.update`` / ``product.delete``, see erp/audit.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from embedded_backend.db.models import OrderItem, Product
from embedded_backend.erp import audit
from embedded_backend.erp.paging import get_or_404
from embedded_backend.errors import ConflictError
from embedded_backend.schemas.products import ProductCreate, ProductUpdate


def _ensure_sku_free(session: Session, sku: str, product_id: int | None = None) -> None:
    query = select(Product.id).where(Product.sku == sku)
    if product_id is not None:
        query = query.where(Product.id != product_id)
    if session.scalar(query) is not None:
        raise ConflictError(f"a product with SKU '{sku}' already exists")


def _flush(session: Session, sku: str) -> None:
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(f"a product with SKU '{sku}' already exists") from None


def summary(product: Product) -> dict[str, Any]:
    """What the audit log keeps of a product."""
    return {
        "sku": product.sku,
        "name": product.name,
        "price": audit.money(product.price),
        "stock": product.stock,
    }


def create_product(session: Session, data: ProductCreate, *, actor: str) -> Product:
    _ensure_sku_free(session, data.sku)
    product = Product(**data.model_dump())
    session.add(product)
    _flush(session, data.sku)
    audit.record_create(session, actor, "product.create", str(product.id), summary(product))
    return product


def update_product(
    session: Session, product_id: int, data: ProductUpdate, *, actor: str
) -> Product:
    product = get_or_404(session, Product, product_id, "product")
    before = summary(product)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "sku" in changes:
        _ensure_sku_free(session, changes["sku"], product_id)
    for key, value in changes.items():
        setattr(product, key, value)
    _flush(session, product.sku)
    audit.record_update(session, actor, "product.update", str(product_id), before, summary(product))
    return product


def delete_product(session: Session, product_id: int, *, actor: str) -> None:
    product = get_or_404(session, Product, product_id, "product")
    if session.scalar(select(exists().where(OrderItem.product_id == product_id))):
        raise ConflictError(f"product {product_id} appears in orders and cannot be deleted")
    audit.record_delete(session, actor, "product.delete", str(product_id), summary(product))
    session.delete(product)
