"""/api/v1/products

``GET /{id}`` is served from the cache (namespace ``products``, keyed by id); every write
invalidates the product after its transaction (see embedded_backend/cache/front.py).
Writes are audited by the caller's name in the same transaction (erp/products.py).
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
from embedded_backend.db.models import Product
from embedded_backend.erp import products
from embedded_backend.erp.paging import get_or_404, page
from embedded_backend.schemas.common import Page
from embedded_backend.schemas.products import ProductCreate, ProductOut, ProductUpdate

router = APIRouter(tags=["products"])
NS = "products"


@router.get("", response_model=Page[ProductOut])
def list_products(session: SessionDep, paging: PagingDep, _: CurrentUser) -> Page[ProductOut]:
    rows, total = page(session, Product, paging.limit, paging.offset)
    return Page(items=[ProductOut.model_validate(r) for r in rows], total=total)


@router.post("", response_model=ProductOut, status_code=status.HTTP_201_CREATED)
def create_product(
    data: ProductCreate, db: DbDep, cache: CacheDep, user: CurrentUser
) -> ProductOut:
    out = db.write(
        lambda s: ProductOut.model_validate(products.create_product(s, data, actor=user.name))
    )
    cache.invalidate(NS, out.id)  # a cached 404 is never stored, but an id may be reused
    return out


@router.get("/{product_id}", response_model=ProductOut)
def get_product(
    product_id: ItemId, session: SessionDep, cache: CacheDep, _: CurrentUser
) -> JSONResponse:
    def load() -> dict[str, Any]:
        row = get_or_404(session, Product, product_id, "product")
        return ProductOut.model_validate(row).model_dump(mode="json")

    return JSONResponse(cache.fetch(NS, product_id, load))


@router.patch("/{product_id}", response_model=ProductOut)
def update_product(
    product_id: ItemId, data: ProductUpdate, db: DbDep, cache: CacheDep, user: CurrentUser
) -> ProductOut:
    def work(s: Session) -> ProductOut:
        return ProductOut.model_validate(
            products.update_product(s, product_id, data, actor=user.name)
        )

    try:
        return db.write(work)
    finally:  # also on errors: a commit whose answer was lost may still have landed
        cache.invalidate(NS, product_id)


@router.delete("/{product_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_product(product_id: ItemId, db: DbDep, cache: CacheDep, admin: AdminDep) -> None:
    try:
        db.write(lambda s: products.delete_product(s, product_id, actor=admin.name))
    finally:
        cache.invalidate(NS, product_id)
