"""MetricsMiddleware on its own: what it counts, with a real registry and plain ASGI apps."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from starlette.types import ASGIApp, Receive, Scope, Send

from embedded_backend.observability.metrics import Metrics
from embedded_backend.observability.middleware import MetricsMiddleware
from embedded_backend.observability.performance import PerformanceTracker
from embedded_backend.observability.route_template import UNMATCHED


def _scrape(metrics: Metrics) -> list[Sample]:
    text = generate_latest(metrics.registry).decode()
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def _value(metrics: Metrics, name: str, **labels: str) -> float:
    return sum(
        s.value
        for s in _scrape(metrics)
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


def _in_progress(metrics: Metrics) -> float:
    return _value(metrics, "http_requests_in_progress")


async def _answer(send: Send, status: int) -> None:
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _run(
    inner: ASGIApp,
    requests: Callable[[httpx.AsyncClient], Awaitable[None]],
    metrics: Metrics | None = None,
) -> tuple[Metrics, PerformanceTracker]:
    metrics, performance = metrics or Metrics(), PerformanceTracker()
    app = MetricsMiddleware(inner, metrics=metrics, performance=performance)

    async def go() -> None:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            await requests(c)

    asyncio.run(go())
    return metrics, performance


def test_counts_status_duration_and_the_rolling_window() -> None:
    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        await _answer(send, 404 if scope["path"] == "/missing" else 200)

    async def requests(c: httpx.AsyncClient) -> None:
        for path in ("/a", "/b", "/missing"):
            await c.get(path)
        await c.post("/a")

    metrics, performance = _run(inner, requests)
    total = "http_requests_total"
    assert _value(metrics, total, method="GET", status="200", route=UNMATCHED) == 2
    assert _value(metrics, total, method="GET", status="404", route=UNMATCHED) == 1
    assert _value(metrics, total, method="POST", status="200", route=UNMATCHED) == 1
    count = "http_request_duration_seconds_count"
    assert _value(metrics, count, method="GET", status="200") == 2
    assert _value(metrics, "http_request_duration_seconds_bucket", le="+Inf") == 4
    assert _in_progress(metrics) == 0
    overall = performance.overall()
    assert (overall.count, overall.client_errors, overall.server_errors) == (4, 1, 0)


def test_in_progress_counts_requests_while_they_run() -> None:
    seen: list[float] = []
    release = asyncio.Event()
    metrics = Metrics()

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/hold":
            await release.wait()
        else:
            seen.append(_in_progress(metrics))
            release.set()
        await _answer(send, 200)

    async def requests(c: httpx.AsyncClient) -> None:
        held = [asyncio.create_task(c.get("/hold")) for _ in range(2)]
        await asyncio.sleep(0.05)  # both are inside the app, waiting
        await c.post("/look")
        await asyncio.gather(*held)

    _run(inner, requests, metrics)
    assert seen == [3]  # the two held GETs and the POST looking
    assert _value(metrics, "http_requests_in_progress", method="GET") == 0
    assert _value(metrics, "http_requests_in_progress", method="POST") == 0
    gauge = metrics.http_requests_in_progress
    assert sum(s.value for f in gauge.collect() for s in f.samples) == 0


def test_a_failure_before_any_answer_counts_as_500_and_leaves_nothing_in_progress() -> None:
    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    async def requests(c: httpx.AsyncClient) -> None:
        await c.get("/x")
        await c.request("BREW", "/x")  # an unknown method gets the bounded label

    metrics, performance = _run(inner, requests)
    total = "http_requests_total"
    assert _value(metrics, total, method="GET", status="500") == 1
    assert _value(metrics, total, method="OTHER", status="500") == 1
    assert _in_progress(metrics) == 0
    assert performance.overall().server_errors == 2
