"""The health score: one number, 0-100, for dashboards and alerts.

Formula (all deductions add up; the result is clamped to 0..100)::

    score = 100
          - 40  for a failing database check
          - 25  for each other failing check entry (a critical router, a full disk, ...)
          - 10  for each check entry in ``warn`` (a failed optional router, stale backup, ...)
          - 40  if the service as a whole is ``fail`` with no failing check (starting up,
                shutting down)
          - min(30, 3 × server-error percentage)   5xx share of requests in the window:
                                                   1 % costs 3 points, 10 % or more 30
          - 20 if p95 latency ≥ 2 s, else 10 if ≥ 1 s, else 5 if ≥ 0.5 s
          - 20 if pool utilisation ≥ 95 %, else 10 if ≥ 80 %

Every deduction is a non-negative number that only grows with the problem, so the score
never rises when something more fails. The answer lists each deduction with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DATABASE_FAIL = 40
CHECK_FAIL = 25
CHECK_WARN = 10
SERVICE_FAIL = 40
ERROR_RATE_PER_PERCENT = 3
ERROR_RATE_MAX = 30
LATENCY_STEPS = ((2.0, 20), (1.0, 10), (0.5, 5))  # (p95 at least, seconds; points)
POOL_STEPS = ((0.95, 20), (0.80, 10))  # (utilisation at least; points)


@dataclass
class HealthScore:
    score: int = 100
    deductions: list[dict[str, Any]] = field(default_factory=list)

    def deduct(self, points: int, reason: str) -> None:
        if points > 0:
            self.deductions.append({"points": points, "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        return {"score": self.score, "deductions": self.deductions}


def health_score(
    health_doc: dict[str, Any],
    error_rate: float = 0.0,
    p95_s: float | None = None,
    pool_utilization: float = 0.0,
) -> HealthScore:
    """Score a health document (as served by /health) plus the live request figures."""
    result = HealthScore()
    failed_entries = 0
    for key, entries in health_doc.get("checks", {}).items():
        for entry in entries:
            who = entry.get("componentId") or key
            if entry.get("status") == "fail":
                failed_entries += 1
                points = DATABASE_FAIL if key.startswith("database") else CHECK_FAIL
                result.deduct(points, f"{key} {who}: fail")
            elif entry.get("status") == "warn":
                result.deduct(CHECK_WARN, f"{key} {who}: warn")
    if health_doc.get("status") == "fail" and not failed_entries:
        result.deduct(SERVICE_FAIL, f"service: {health_doc.get('output', 'fail')}")
    if error_rate > 0:
        points = min(ERROR_RATE_MAX, round(error_rate * 100 * ERROR_RATE_PER_PERCENT))
        result.deduct(points, f"server errors: {error_rate:.1%} of requests")
    if p95_s is not None:
        for limit, points in LATENCY_STEPS:
            if p95_s >= limit:
                result.deduct(points, f"p95 latency {p95_s * 1000:.0f} ms")
                break
    for limit, points in POOL_STEPS:
        if pool_utilization >= limit:
            result.deduct(points, f"connection pool {pool_utilization:.0%} in use")
            break
    total = sum(int(d["points"]) for d in result.deductions)
    result.score = max(0, min(100, 100 - total))
    return result
