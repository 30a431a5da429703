"""Time, injectable: monotonic seconds for durations and timers, wall time for records.

Both are needed: after the computer sleeps, one of them may jump while the other does
not (Linux's monotonic clock stops during suspend; the wall clock does not), which is how
:mod:`desktop.core.alerts` tells a wake-up from a real outage.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never goes back; only differences mean anything."""
        ...

    def time(self) -> float:
        """Wall-clock time, seconds since the Unix epoch."""
        ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()


SYSTEM_CLOCK = SystemClock()
