"""The health score: documented deductions, clamped to 0..100, never rising with failures."""

from __future__ import annotations

from typing import Any

from embedded_backend.observability.score import health_score


def _doc(db: str = "pass", routers: tuple[str, ...] = (), status: str = "pass") -> dict[str, Any]:
    return {
        "status": status,
        "checks": {
            "database:responseTime": [{"componentId": "sqlite", "status": db}],
            "routers:loaded": [
                {"componentId": f"r{i}", "status": s} for i, s in enumerate(routers)
            ],
            "disk:utilization": [{"status": "pass"}],
        },
    }


def test_all_good_is_100() -> None:
    result = health_score(_doc(routers=("pass", "pass")), 0.0, 0.01, 0.1)
    assert result.score == 100 and result.deductions == []


def test_each_deduction() -> None:
    assert health_score(_doc(db="fail", status="fail")).score == 60
    assert health_score(_doc(routers=("fail",), status="fail")).score == 75
    assert health_score(_doc(routers=("warn",), status="warn")).score == 90
    assert health_score(_doc(status="fail")).score == 60  # starting up / shutting down
    assert health_score(_doc(), error_rate=0.01).score == 97
    assert health_score(_doc(), error_rate=0.5).score == 70  # capped at 30
    assert health_score(_doc(), p95_s=0.6).score == 95
    assert health_score(_doc(), p95_s=1.5).score == 90
    assert health_score(_doc(), p95_s=3.0).score == 80
    assert health_score(_doc(), pool_utilization=0.85).score == 90
    assert health_score(_doc(), pool_utilization=1.0).score == 80
    everything = health_score(
        _doc(db="fail", routers=("fail", "fail", "warn"), status="fail"), 1.0, 5.0, 1.0
    )
    assert everything.score == 0
    assert {d["reason"] for d in everything.deductions} >= {"database:responseTime sqlite: fail"}


def test_score_is_monotonic_in_failures() -> None:
    scores = []
    for failed in range(6):
        routers = tuple(["fail"] * failed + ["pass"] * (5 - failed))
        scores.append(health_score(_doc(routers=routers)).score)
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == 100 and scores[1] < scores[0] and scores[-1] == 0
    by_rate = [health_score(_doc(), error_rate=r / 100).score for r in range(0, 20)]
    assert by_rate == sorted(by_rate, reverse=True)
