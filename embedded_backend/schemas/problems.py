"""RFC 9457 problem details as the API sends them (``application/problem+json``).

These models document the error answers in the OpenAPI document; the bodies themselves
are written by ``api/problems.py``. Extension members (``errors``, ``router``, ...) are
allowed, as RFC 9457 says.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Problem(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="always 'about:blank'")
    title: str = Field(description="short summary of the kind of problem")
    status: int = Field(description="the HTTP status code")
    detail: str | None = Field(default=None, description="what went wrong and what to do")
    request_id: str | None = Field(description="the X-Request-ID; the log has the same ID")


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="where in the request: body, query, path, ...")
    msg: str
    type: str


class ValidationProblem(Problem):
    errors: list[FieldError] | None = Field(
        default=None,
        description="each part of the request that does not match the schema; absent when "
        "the request is well formed but refers to something that does not exist",
    )
