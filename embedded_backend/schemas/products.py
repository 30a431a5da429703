from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from embedded_backend.schemas.common import NO_NUL, Input, Money, MoneyOut, Name, Output

Sku = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=NO_NUL)
]
Stock = Annotated[int, Field(ge=0, le=1_000_000_000)]


class ProductCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"sku": "CAFE-500G", "name": "Café torrado 500 g", "price": 18.9, "stock": 40}
            ]
        }
    )

    sku: Sku
    name: Name
    price: Money
    stock: Stock


class ProductUpdate(Input):
    sku: Sku | None = None
    name: Name | None = None
    price: Money | None = None
    stock: Stock | None = None


class ProductOut(Output):
    id: int
    sku: str
    name: str
    price: MoneyOut
    stock: int
    created_at: datetime
    updated_at: datetime
