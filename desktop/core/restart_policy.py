"""When the supervisor retries a backend that failed (DESIGN.md, "How the desktop supervises").

- The first retry is at once; then 1 s, doubling, never more than 60 s.
- A failure is *fast* when the backend had not yet been healthy (answering its health
  checks) for 30 s since its last start; a run healthy for 30 s resets the counter.
- After 5 fast failures in a row the supervisor gives up (``fatal``) and only tries
  again every 5 minutes, or when the user asks.

With these defaults the delays are 0, 1, 2 and 4 s, then ``fatal``: the 60 s cap only
matters when ``fatal_after`` is raised.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.core.errors import ConfigError


@dataclass(frozen=True)
class RestartPolicy:
    first_delay_s: float = 1.0  # the delay of the second retry (the first is at once)
    factor: float = 2.0
    max_delay_s: float = 60.0
    healthy_reset_s: float = 30.0
    fatal_after: int = 5
    slow_retry_s: float = 300.0

    def __post_init__(self) -> None:
        if self.first_delay_s < 0 or self.max_delay_s < 0 or self.factor < 1:
            raise ConfigError("restart delays cannot be negative and factor must be >= 1")
        if self.fatal_after < 1 or self.healthy_reset_s <= 0 or self.slow_retry_s <= 0:
            raise ConfigError("fatal_after, healthy_reset_s and slow_retry_s must be positive")

    def delay(self, failures: int) -> float:
        """Seconds to wait before the retry that follows failure number ``failures``
        (counted from 1 since the last reset)."""
        if failures <= 1:
            return 0.0
        return float(min(self.first_delay_s * self.factor ** (failures - 2), self.max_delay_s))

    def is_fatal(self, failures: int) -> bool:
        return failures >= self.fatal_after
