"""The tray's own settings (not the backend's: those are embedded_backend's Settings).

A frozen dataclass with defaults; the UI persists it with :meth:`DesktopConfig.as_dict`
and reads it back with :meth:`DesktopConfig.from_dict`, and hands a new one to
``Monitor.configure`` when the user changes something.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from desktop.core.categories import Category
from desktop.core.errors import ConfigError

log = logging.getLogger(__name__)


def _categories(values: Iterable[str] | str) -> frozenset[Category]:
    if isinstance(values, str):  # "disk, backup" from a hand-edited file
        values = [v.strip() for v in values.split(",") if v.strip()]
    chosen: set[Category] = set()
    for value in values:
        try:
            chosen.add(Category(value))
        except ValueError:
            known = ", ".join(c.value for c in Category)
            raise ConfigError(f"unknown alert category '{value}'; known: {known}") from None
    return frozenset(chosen)


@dataclass(frozen=True)
class DesktopConfig:
    # Health polling
    poll_interval_s: float = 2.0  # one /readyz request every this many seconds
    poll_timeout_s: float = 2.0  # a poll without an answer by then is a miss
    missed_polls: int = 3  # misses in a row that mean the backend hangs
    backend_alerts_interval_s: float = 10.0  # /api/v1/monitoring/alerts (admin token)
    # Alerts
    latency_threshold_ms: float = 1000.0  # a health answer slower than this is slow
    latency_samples: int = 5  # ... that many samples in a row raise "slow"
    alert_min_duration_s: float = 6.0  # a condition lasts this long before a toast
    muted_categories: frozenset[Category] = field(default_factory=frozenset)
    wake_gap_s: float = 30.0  # a longer pause between two samples means the PC slept
    # Supervision. Graceful stop: in-flight requests get this long before the stop is
    # forced; None = the backend's own VIGIA_GRACEFUL_SHUTDOWN_S.
    stop_timeout_s: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "muted_categories", _categories(self.muted_categories))
        positive: tuple[str, ...] = (
            "poll_interval_s",
            "poll_timeout_s",
            "backend_alerts_interval_s",
            "latency_threshold_ms",
            "wake_gap_s",
        )
        if self.stop_timeout_s is not None:
            positive += ("stop_timeout_s",)
        for name in positive:
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be greater than 0 (got {getattr(self, name)})")
        for name in ("missed_polls", "latency_samples"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a whole number of at least 1 (got {value})")
        if self.alert_min_duration_s < 0:
            raise ConfigError(
                f"alert_min_duration_s cannot be negative (got {self.alert_min_duration_s})"
            )

    def replace(self, **changes: Any) -> DesktopConfig:
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON/TOML-friendly values (muted categories as a sorted list; a None
        setting is left out, as TOML has no null)."""
        values = dataclasses.asdict(self)
        values["muted_categories"] = sorted(c.value for c in self.muted_categories)
        return {name: value for name, value in values.items() if value is not None}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> DesktopConfig:
        """Read what :meth:`as_dict` wrote. Unknown keys (a newer version's) are logged
        and ignored; a bad value is a ConfigError naming it."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            log.info("ignoring unknown desktop settings: %s", ", ".join(unknown))
        chosen = {k: v for k, v in values.items() if k in known}
        if "muted_categories" in chosen:
            chosen["muted_categories"] = _categories(chosen["muted_categories"])
        try:
            return cls(**chosen)
        except TypeError as exc:
            raise ConfigError(f"invalid desktop settings: {exc}") from None
