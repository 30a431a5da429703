from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, EmailStr, StringConstraints

from embedded_backend.erp.documents import InvalidDocument, normalize_document
from embedded_backend.schemas.common import Input, Name, Output


def _document(value: str) -> str:
    try:
        return normalize_document(value)[0]
    except InvalidDocument as exc:
        raise ValueError(str(exc)) from None


Document = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=32),
    AfterValidator(_document),
]
Phone = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[0-9+()\-. ]+$"
    ),
]


class CustomerCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Maria Souza",
                    "document": "529.982.247-25",
                    "email": "maria@example.com",
                    "phone": "+55 11 91234-5678",
                }
            ]
        }
    )

    name: Name
    document: Document
    email: EmailStr | None = None
    phone: Phone | None = None


class CustomerUpdate(Input):
    name: Name | None = None
    document: Document | None = None
    email: EmailStr | None = None
    phone: Phone | None = None


class CustomerOut(Output):
    id: int
    name: str
    document: str
    document_type: str
    email: str | None
    phone: str | None
    created_at: datetime
    updated_at: datetime
