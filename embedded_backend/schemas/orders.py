from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from embedded_backend.schemas.common import MAX_ID, Input, MoneyOut, Output

RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]


class OrderItemIn(Input):
    product_id: RecordId
    quantity: Annotated[int, Field(ge=1, le=1_000_000)]


class OrderCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"customer_id": 1, "items": [{"product_id": 1, "quantity": 2}]}]
        }
    )

    customer_id: RecordId
    items: Annotated[list[OrderItemIn], Field(min_length=1, max_length=200)]


class OrderUpdate(Input):
    status: Literal["confirmed", "cancelled"]


class OrderItemOut(Output):
    product_id: int
    quantity: int
    unit_price: MoneyOut
    line_total: MoneyOut


class OrderOut(Output):
    id: int
    customer_id: int
    status: str
    total: MoneyOut
    items: list[OrderItemOut]
    created_by: str | None
    created_at: datetime
    updated_at: datetime
