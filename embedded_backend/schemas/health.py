"""The health documents (``application/health+json``, draft-inadarei-api-health-check)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

HealthStatus = Literal["pass", "warn", "fail"]


class Liveness(BaseModel):
    status: Literal["pass"]


class HealthCheckResult(BaseModel):
    """One entry of ``checks`` (its key is ``component:measurement``)."""

    model_config = ConfigDict(extra="allow")

    status: HealthStatus
    # camelCase: the draft's member names.
    componentId: str | None = None
    componentType: str | None = None
    observedValue: float | str | None = None
    observedUnit: str | None = None
    output: str | None = None
    time: str | None = None


class HealthDocument(BaseModel):
    """Everyone sees status, version and serviceId; ``checks`` and the rest only a loopback
    client or an administrator."""

    model_config = ConfigDict(extra="allow")

    status: HealthStatus
    version: str
    serviceId: str  # camelCase: the draft's member name
    description: str | None = None
    output: str | None = Field(default=None, description="why the status is not pass")
    checks: dict[str, list[HealthCheckResult]] | None = None
