"""/api/v1/monitoring: shapes, who may call, history, performance, pool, system info."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from embedded_backend.config import Settings
from embedded_backend.db.engine import SQLITE_OVERFLOW
from embedded_backend.observability.hub import KEY_METRICS
from tests.embedded_backend.api.support import assert_problem, make_product, make_user
from tests.helpers.live import LiveServer, live_server

URL = "/api/v1/monitoring"
ADMIN_ONLY = ("health/detailed", "metrics", "metrics/health_score", "performance", "pool",
              "system/info")  # fmt: skip


def _staff_client(live: LiveServer) -> httpx.Client:
    with live.client() as admin:
        user = make_user(admin, role="staff")
    return live.client(token=live.login(user["username"], "s3nha-forte-123"))


def test_who_may_call(sqlite_server: LiveServer) -> None:
    with sqlite_server.client(token=None) as anonymous:
        for path in ("health", *ADMIN_ONLY):
            assert_problem(anonymous.get(f"{URL}/{path}"), 401)
    with sqlite_server.client(token="not-a-token") as wrong:
        assert_problem(wrong.get(f"{URL}/pool"), 401)
    with _staff_client(sqlite_server) as staff:
        r = staff.get(f"{URL}/health")
        assert r.status_code == 200 and r.json()["checks"]["database:responseTime"]
        for path in ADMIN_ONLY:
            assert_problem(staff.get(f"{URL}/{path}"), 403)
    with sqlite_server.client() as admin:
        for path in ("health", *ADMIN_ONLY):
            assert admin.get(f"{URL}/{path}").status_code == 200, path


def test_health_is_the_health_document(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        r = c.get(f"{URL}/health")
        plain = c.get("/health").json()
    assert r.headers["content-type"] == "application/health+json"
    doc = r.json()
    assert doc["status"] == plain["status"] == "pass"
    assert doc["checks"].keys() == plain["checks"].keys()


def test_health_detailed(server: LiveServer) -> None:
    with server.client() as c:
        doc = c.get(f"{URL}/health/detailed").json()
    assert doc["status"] == "pass" and "database:responseTime" in doc["checks"]
    assert doc["score"]["score"] == 100 and doc["score"]["deductions"] == []
    assert doc["database"]["migrated"] is True and doc["database"]["last_error"] is None
    assert "password" not in doc["database"]["url"]
    assert doc["pool"]["size"] == server.settings.db_pool_size
    routers = {r["name"]: r for r in doc["routers"]}
    assert routers["monitoring"]["status"] == "loaded"
    assert doc["performance"]["count"] >= 0 and doc["uptime_s"] >= 0


def test_detailed_health_score_drops_with_a_failed_router(
    make_settings: Callable[..., Settings],
) -> None:
    routers = "extra=module_that_does_not_exist_anywhere:router"
    with live_server(make_settings(routers=routers)) as live, live.client() as c:
        doc = c.get(f"{URL}/health/detailed").json()
        values = c.get(f"{URL}/metrics").json()["values"]
    assert doc["status"] == "warn"
    # The failed router costs 10 points. A slow first request on a busy machine (the p95
    # latency step) may cost more: the score depends on it, the router's deduction not.
    deductions = doc["score"]["deductions"]
    assert {"points": 10, "reason": "routers:loaded extra: warn"} in deductions
    assert all(d["reason"].startswith("p95 latency") for d in deductions[1:]), deductions
    assert doc["score"]["score"] == 100 - sum(d["points"] for d in deductions)
    assert {r["name"]: r["status"] for r in doc["routers"]}["extra"] == "failed"
    assert values["routers_down"] == 1 and values["health_score"] <= 90


def test_current_metrics(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        make_product(c)
        for _ in range(3):
            c.get("/api/v1/products")
        body = c.get(f"{URL}/metrics").json()
    values = body["values"]
    assert list(values) == list(KEY_METRICS)
    assert body["sample_interval_s"] == 30
    assert values["http_requests_total"] >= 4
    assert values["http_requests_in_progress"] == 1  # this very request
    assert values["db_queries_total"] > 0 and values["db_errors_total"] == 0
    assert values["http_p95_ms"] is not None and values["http_p95_ms"] > 0
    assert values["routers_up"] == 8 and values["routers_down"] == 0
    assert values["process_rss_bytes"] > 1_000_000 and values["health_score"] == 100


def test_unknown_metric_is_a_404_problem(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        body = assert_problem(c.get(f"{URL}/metrics/no_such_metric"), 404)
    assert "no_such_metric" in body["detail"]


def test_history_is_sampled_and_bounded_at_1000(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(metrics_sample_interval_s=0.001)
    with live_server(settings) as live, live.client() as c:
        deadline = time.monotonic() + 60
        while True:
            body = c.get(f"{URL}/metrics/http_requests_total").json()
            if len(body["samples"]) >= 1000:
                break
            assert time.monotonic() < deadline, len(body["samples"])
            time.sleep(0.2)
        time.sleep(0.3)  # keeps sampling; the history must not grow
        body = c.get(f"{URL}/metrics/http_requests_total").json()
        limited = c.get(f"{URL}/metrics/http_requests_total", params={"limit": 5}).json()
    assert body["max_samples"] == 1000 and len(body["samples"]) == 1000
    values = [s["value"] for s in body["samples"]]
    assert values == sorted(values)  # a counter, oldest first
    assert set(body["samples"][0]) == {"time", "value"}
    assert len(limited["samples"]) == 5


def test_history_starts_with_a_sample_at_startup(make_settings: Callable[..., Settings]) -> None:
    with live_server(make_settings()) as live, live.client() as c:
        body = c.get(f"{URL}/metrics/health_score").json()
    assert body["sample_interval_s"] == 30
    assert len(body["samples"]) == 1 and body["samples"][0]["value"] == 100


def test_performance_per_route(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        product = make_product(c)
        for _ in range(4):
            c.get(f"/api/v1/products/{product['id']}")
        c.get("/api/v1/products/999999")
        report = c.get(f"{URL}/performance").json()
    assert report["window_s"] == 300 and report["max_requests_per_route"] == 1000
    routes = {r["route"]: r for r in report["routes"]}
    one = routes["/api/v1/products/{product_id}"]
    assert one["count"] == 5 and one["client_errors"] == 1 and one["errors"] == 0
    assert one["error_rate"] == 0 and one["client_error_rate"] == 0.2
    assert 0 < one["p50_ms"] <= one["p95_ms"] <= one["p99_ms"] <= one["max_ms"]
    assert report["overall"]["count"] >= 6


def test_pool(server: LiveServer) -> None:
    with server.client() as c:
        pool = c.get(f"{URL}/pool").json()
    assert pool["dialect"] in ("sqlite", "postgresql", "mysql", "mariadb")
    assert pool["pool_class"] == "QueuePool"
    assert pool["size"] == server.settings.db_pool_size
    size = server.settings.db_pool_size  # a local SQLite file may open more on demand
    extra = max(size, SQLITE_OVERFLOW) if pool["dialect"] == "sqlite" else size
    assert pool["capacity"] == size + extra
    assert 0 <= pool["checked_out"] <= pool["capacity"] and 0 <= pool["utilization"] <= 1


def test_system_info(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        info = c.get(f"{URL}/system/info").json()
    assert info["cpu"]["count"] >= 1 and 0 <= info["cpu"]["percent"] <= 100
    assert info["memory"]["total_bytes"] > 0
    assert info["disk"]["path"] == str(sqlite_server.settings.home)
    assert info["disk"]["free_bytes"] > 0
    process = info["process"]
    assert process["rss_bytes"] > 1_000_000 and process["threads"] >= 2
    assert process["open_files"] is None or process["open_files"] >= 1
    assert info["python"]["version"].count(".") == 2
    assert info["packages"]["fastapi"] and info["packages"]["prometheus-client"]


@pytest.mark.parametrize("name", ["health_score", "db_pool_utilization", "process_rss_bytes"])
def test_every_key_metric_has_a_history(sqlite_server: LiveServer, name: str) -> None:
    with sqlite_server.client() as c:
        body = c.get(f"{URL}/metrics/{name}").json()
    assert body["name"] == name and len(body["samples"]) >= 1
