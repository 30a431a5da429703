"""GET /metrics on a real server: format, labels, counters, database, pool, routers, process."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from embedded_backend.config import Settings
from embedded_backend.db.engine import SQLITE_OVERFLOW
from tests.embedded_backend.api.support import make_product
from tests.embedded_backend.observability.support import label_values, samples, scrape, value
from tests.helpers.live import ADMIN_TOKEN, LiveServer, live_server
from tests.helpers.router_modules import router_modules

PRODUCT = "/api/v1/products/{product_id}"


def test_route_templates_never_raw_paths(server: LiveServer) -> None:
    with server.client() as c:
        ids = [make_product(c)["id"] for _ in range(3)]
        for product_id in ids:
            assert c.get(f"/api/v1/products/{product_id}").status_code == 200
        assert c.get("/api/v1/products/999999").status_code == 404
        assert c.get("/api/v1/products").status_code == 200
        scraped = scrape(c)
    routes = label_values(scraped, "http_requests_total", "route")
    assert PRODUCT in routes and "/api/v1/products" in routes
    assert not any(str(i) in r.rsplit("/", 1)[-1] for r in routes for i in ids)
    assert value(scraped, "http_requests_total", route=PRODUCT, method="GET", status="200") == 3
    assert value(scraped, "http_requests_total", route=PRODUCT, status="404") == 1
    assert value(scraped, "http_requests_total", route="/api/v1/products", method="POST") == 3
    assert value(scraped, "http_request_duration_seconds_count", route=PRODUCT) == 4
    assert samples(scraped, "http_request_duration_seconds_bucket", route=PRODUCT, le="+Inf")


def test_fifty_unknown_paths_are_one_label(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        for i in range(50):
            assert c.get(f"/no/such/path/{i}?q={i}").status_code == 404
        scraped = scrape(c)
    unknown = samples(scraped, "http_requests_total", status="404")
    assert [s.labels["route"] for s in unknown] == ["<unmatched>"]
    assert unknown[0].value == 50
    assert not any("/no/such" in r for r in label_values(scraped, "http_requests_total", "route"))


def test_counters_increase_and_in_progress_returns_to_zero(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        before = value(scrape(c), "http_requests_total", route="/livez")
        for _ in range(5):
            c.get("/livez")
        scraped = scrape(c)
        assert value(scraped, "http_requests_total", route="/livez") == before + 5
        # Only the scrape itself is running while the text is generated.
        assert value(scraped, "http_requests_in_progress") == 1
        assert value(scrape(c), "http_requests_total", route="/metrics") >= 2
    gauge = sqlite_server.runner.app.state.observability.metrics.http_requests_in_progress
    assert sum(s.value for f in gauge.collect() for s in f.samples) == 0


def test_in_progress_counts_concurrent_requests(sqlite_server: LiveServer) -> None:
    """Many requests at once: the gauge rises while they run and returns to 0."""
    with sqlite_server.client() as c:
        make_product(c)
    errors: list[BaseException] = []

    def hammer() -> None:
        try:
            with sqlite_server.client() as c:
                for _ in range(8):  # 64 in all: under the per-user rate limit
                    c.get("/api/v1/products")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with sqlite_server.client() as c:
        scraped = scrape(c)
    assert value(scraped, "http_requests_total", route="/api/v1/products", method="GET") == 64
    assert value(scraped, "http_requests_in_progress") == 1  # the scrape


def test_database_and_pool_metrics(server: LiveServer) -> None:
    with server.client() as c:
        make_product(c)
        c.get("/api/v1/products")
        scraped = scrape(c)
    assert value(scraped, "db_query_duration_seconds_count", operation="select") >= 1
    assert value(scraped, "db_query_duration_seconds_count", operation="insert") >= 1
    assert value(scraped, "db_query_duration_seconds_sum") > 0
    pool = {n: value(scraped, f"db_pool_{n}") for n in ("size", "checked_out", "overflow")}
    assert pool["size"] == server.settings.db_pool_size
    assert pool["checked_out"] >= 0 and pool["overflow"] >= 0
    size = server.settings.db_pool_size  # a local SQLite file may open more on demand
    sqlite = server.settings.effective_database_url.startswith("sqlite")
    overflow = max(size, SQLITE_OVERFLOW) if sqlite else size
    assert value(scraped, "db_pool_max_overflow") == overflow
    assert value(scraped, "cache_hits_total") == 0 and samples(scraped, "cache_misses_total")


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="prometheus_client reads process_* from /proc"
)
def test_process_and_platform_metrics(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        scraped = scrape(c)
    assert value(scraped, "process_resident_memory_bytes") > 1_000_000
    assert value(scraped, "process_open_fds") > 0
    assert samples(scraped, "python_info")


def test_backend_router_up_for_failed_and_disabled_routers(
    make_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    modules = router_modules(tmp_path, monkeypatch)
    routers = f"good={modules.good()},broken={modules.broken('raises')}"
    with live_server(make_settings(routers=routers)) as live, live.client() as c:
        scraped = scrape(c)
        assert value(scraped, "backend_router_up", router="good") == 1
        assert value(scraped, "backend_router_up", router="broken") == 0
        assert value(scraped, "backend_router_up", router="products") == 1
        assert c.post("/api/v1/admin/routers/products/disable").status_code == 200
        assert c.get("/api/v1/broken/x").status_code == 503
        scraped = scrape(c)
    assert value(scraped, "backend_router_up", router="products") == 0
    # The gate's 503 (it answers before routing) is counted with its real status.
    assert value(scraped, "http_requests_total", status="503", route="<unmatched>") == 1


def test_guard_500_is_counted_as_500(make_settings: Callable[..., Settings]) -> None:
    routers = "faulty=tests.embedded_backend.api.faulty_router:router"
    with live_server(make_settings(routers=routers)) as live, live.client() as c:
        assert c.get("/api/v1/faulty/runtime").status_code == 500
        scraped = scrape(c)
    assert value(scraped, "http_requests_total", route="/api/v1/faulty/runtime", status="500") == 1


def test_openmetrics_when_asked(sqlite_server: LiveServer) -> None:
    r = httpx.get(
        f"{sqlite_server.url}/metrics", headers={"Accept": "application/openmetrics-text"}
    )
    assert r.headers["content-type"].startswith("application/openmetrics-text")
    assert r.text.rstrip().endswith("# EOF")


def _remote_scrape(app: object, token: str | None) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("192.0.2.10", 40000))  # type: ignore[arg-type]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get("/metrics", headers=headers)

    return asyncio.run(go())


def test_remote_scrapers_need_the_admin_token(sqlite_server: LiveServer) -> None:
    app = sqlite_server.runner.app
    r = _remote_scrape(app, None)
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem")
    assert _remote_scrape(app, "wrong").status_code == 401
    r = _remote_scrape(app, ADMIN_TOKEN)
    assert r.status_code == 200
    assert list(text_string_to_metric_families(r.text))


def test_restart_in_process_gives_fresh_registries(sqlite_server: LiveServer) -> None:
    runner = sqlite_server.runner
    with sqlite_server.client() as c:
        for _ in range(3):
            c.get("/livez")
        assert value(scrape(c), "http_requests_total", route="/livez") == 3
    first = runner.app
    for _ in range(2):
        runner.restart("test")  # a duplicate registration would raise here
    assert runner.app is not first
    with sqlite_server.client() as c:
        c.get("/livez")
        scraped = scrape(c)
    assert value(scraped, "http_requests_total", route="/livez") == 1
    assert value(scraped, "process_resident_memory_bytes") > 0
    assert value(scraped, "backend_router_up", router="auth") == 1
