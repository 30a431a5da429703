"""Products: create, change, remove (stock never below zero)."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from embedded_backend.db.models import OrderItem, Product
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


def create_product(session: Session, data: ProductCreate) -> Product:
    _ensure_sku_free(session, data.sku)
    product = Product(**data.model_dump())
    session.add(product)
    _flush(session, data.sku)
    return product


def update_product(session: Session, product_id: int, data: ProductUpdate) -> Product:
    product = get_or_404(session, Product, product_id, "product")
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "sku" in changes:
        _ensure_sku_free(session, changes["sku"], product_id)
    for key, value in changes.items():
        setattr(product, key, value)
    _flush(session, product.sku)
    return product


def delete_product(session: Session, product_id: int) -> None:
    product = get_or_404(session, Product, product_id, "product")
    if session.scalar(select(exists().where(OrderItem.product_id == product_id))):
        raise ConflictError(f"product {product_id} appears in orders and cannot be deleted")
    session.delete(product)
