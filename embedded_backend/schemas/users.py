from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, StringConstraints

from embedded_backend.schemas.common import Input, Output

Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[\w.@-]+$"),
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]
Role = Literal["admin", "staff"]


class UserCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"username": "balcao1", "password": "troque-esta-senha", "role": "staff"}]
        }
    )

    username: Username
    password: Password
    role: Role = "staff"


class UserUpdate(Input):
    password: Password | None = None
    role: Role | None = None
    is_active: bool | None = None


class UserOut(Output):
    id: int
    username: str
    role: str
    is_active: bool
    created_at: datetime


class Token(Output):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int
