"""Rolling per-route window and nearest-rank percentiles, on known latencies."""

from __future__ import annotations

import pytest

from embedded_backend.observability.performance import PerformanceTracker, percentile


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0  # rank ceil(2.0) = 2
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match="percentile"):
        percentile(values, 0)


def test_route_summary_from_known_latencies() -> None:
    tracker = PerformanceTracker(window_s=300, max_requests=1000)
    # 100 requests of 1..100 ms in shuffled order; every 10th is a 500, every 25th a 404.
    for ms in [*range(100, 50, -1), *range(1, 51)]:
        status = 500 if ms % 10 == 0 else 404 if ms % 25 == 0 else 200
        tracker.record("/r/{id}", ms / 1000, status, ended=1000.0)
    tracker.record("/other", 0.5, 200, ended=1000.0)
    routes = {r.route: r for r in tracker.routes(now=1001.0)}
    summary = routes["/r/{id}"]
    assert summary.count == 100
    assert summary.server_errors == 10 and summary.error_rate == 0.1
    assert summary.client_errors == 2  # 25 and 75 (50 and 100 are 500s)
    assert (summary.p50_s, summary.p95_s, summary.p99_s) == (0.05, 0.095, 0.099)
    assert summary.max_s == 0.1
    data = summary.as_dict()
    assert data["p95_ms"] == 95.0 and data["error_rate"] == 0.1
    assert [r.route for r in tracker.routes(now=1001.0)] == ["/r/{id}", "/other"]
    overall = tracker.overall(now=1001.0)
    assert overall.count == 101 and overall.max_s == 0.5


def test_window_drops_old_requests_and_memory_is_bounded() -> None:
    tracker = PerformanceTracker(window_s=60, max_requests=10)
    tracker.record("/a", 9.0, 500, ended=0.0)  # older than the window at now=100
    for i in range(25):
        tracker.record("/a", 0.001 * (i + 1), 200, ended=90.0 + i * 0.1)
    summary = tracker.routes(now=100.0)[0]
    assert summary.count == 10  # only the last 10 are kept
    assert summary.server_errors == 0 and summary.max_s == pytest.approx(0.025)
    assert tracker.routes(now=1000.0) == []
    assert tracker.overall(now=1000.0).count == 0 and tracker.overall(now=1000.0).p95_s is None
