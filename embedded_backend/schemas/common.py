"""Types shared by several resources."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

T = TypeVar("T")

# Money: exact decimals with two places; written to JSON as a number. Its request schema
# is written out: pydantic's own says "any number >= 0, or any string", while only 12
# digits with at most 2 decimals are accepted (multipleOf 0.01 would be exact in JSON
# Schema but fails float arithmetic in common validators, so it is said in words).
MONEY_MAX = Decimal("9999999999.99")
CENT = Decimal("0.01")


def _cents(value: Decimal) -> Decimal:
    """One form per amount: "1.5", "1.500" and "15E-1" are 1.50, "-0.00" is 0.00 (exact:
    the constraints already refused anything finer than a cent)."""
    return value.quantize(CENT) if value else Decimal("0.00")


Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2),
    AfterValidator(_cents),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": float(MONEY_MAX)},
                {"type": "string", "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$"},
            ],
            "description": "at most 2 decimal places, up to 9999999999.99",
            "examples": [18.9, "18.90"],
        },
        mode="validation",
    ),
    PlainSerializer(float, return_type=float, when_used="json"),
]
MoneyOut = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]

# Free text: trimmed, not empty, bounded. Stored as typed (inert), escaped by JSON.
# NUL is refused: PostgreSQL cannot store it in text columns (it would be a 5xx there).
NO_NUL = r"^[^\x00]*$"
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NO_NUL)
]

MAX_ID = 2**63 - 1


class Input(BaseModel):
    """Base of request bodies: unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
