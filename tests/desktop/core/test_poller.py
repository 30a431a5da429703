"""The health poller against httpx.MockTransport, on a fake clock."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from desktop.core.config import DesktopConfig
from desktop.core.poller import HealthPoller
from desktop.core.samples import Sample
from tests.desktop.fakes import FakeClock, ManualScheduler

DOC: dict[str, Any] = {
    "status": "warn",
    "version": "0.1.0",
    "serviceId": "vigia",
    "output": "whatsapp: ModuleNotFoundError: No module named 'twilio'",
    "checks": {
        "database:responseTime": [
            {"componentId": "sqlite", "componentType": "datastore", "observedValue": 1.8,
             "observedUnit": "ms", "status": "pass", "time": "2026-11-23T17:00:00Z"}
        ],
        "routers:loaded": [
            {"componentId": "orders", "componentType": "component", "status": "pass",
             "prefix": "/api/v1/orders"},
            {"componentId": "whatsapp", "componentType": "component", "status": "warn",
             "prefix": "/api/v1/whatsapp", "errorType": "ModuleNotFoundError",
             "output": "ModuleNotFoundError: No module named 'twilio'"},
            {"componentId": "reports", "componentType": "component", "status": "warn",
             "output": "disabled by an administrator"},
        ],
        "uptime": [{"componentType": "system", "observedValue": 9234, "observedUnit": "s",
                    "status": "pass"}],
        "disk:utilization": [{"componentType": "system", "observedValue": 91.5,
                              "observedUnit": "percent", "status": "warn"}],
        "backup:age": [{"componentType": "system", "observedValue": None,
                        "observedUnit": "h", "status": "pass", "output": "no backup made yet"}],
        "cache:status": "not a list",
    },
}  # fmt: skip

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sched(clock: FakeClock) -> ManualScheduler:
    return ManualScheduler(clock)


@pytest.fixture
def make(sched: ManualScheduler) -> Iterator[Callable[..., tuple[HealthPoller, list[Sample]]]]:
    made: list[HealthPoller] = []

    def build(
        handler: Handler,
        config: DesktopConfig | None = None,
        url: str | None = "http://127.0.0.1:8002",
        token: str | None = None,
    ) -> tuple[HealthPoller, list[Sample]]:
        poller = HealthPoller(
            lambda: url,
            config,
            token=lambda: token,
            scheduler=sched,
            transport=httpx.MockTransport(handler),
        )
        made.append(poller)
        samples: list[Sample] = []
        poller.sample_taken.connect(samples.append)
        return poller, samples

    yield build
    for poller in made:
        poller.close()


def health(doc: dict[str, Any], status_code: int = 200) -> httpx.Response:
    return httpx.Response(
        status_code, content=json.dumps(doc), headers={"content-type": "application/health+json"}
    )


def test_a_health_document_becomes_a_sample(
    make: Callable[..., tuple[HealthPoller, list[Sample]]], clock: FakeClock
) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        clock.advance(0.042)  # the backend takes 42 ms
        return health(DOC)

    poller, samples = make(handler)
    sent_at, sent_mono = clock.time(), clock.monotonic()
    sample = poller.poll_once()
    assert sample is not None and samples == [sample] and poller.latest is sample
    assert str(requests[0].url) == "http://127.0.0.1:8002/readyz"
    assert "authorization" not in requests[0].headers
    assert (sample.at, sample.mono) == (sent_at, sent_mono)
    assert sample.status == "warn" and sample.answered and sample.http_status == 200
    assert sample.latency_ms == pytest.approx(42.0)
    assert sample.output == DOC["output"]
    assert sample.db_ms == 1.8 and sample.uptime_s == 9234 and sample.disk_percent == 91.5
    assert sample.checks["disk:utilization"].status == "warn"
    assert sample.backup_age_h is None and sample.checks["backup:age"].output == (
        "no backup made yet"
    )
    assert "cache:status" not in sample.checks  # malformed entries are skipped
    routers = {r.name: r for r in sample.routers}
    assert not routers["orders"].failed and routers["orders"].prefix == "/api/v1/orders"
    assert routers["whatsapp"].failed
    assert routers["whatsapp"].error == "ModuleNotFoundError: No module named 'twilio'"
    assert not routers["reports"].failed  # disabled on purpose is not a failure


def test_a_failing_backend_still_answers_with_its_document(
    make: Callable[..., tuple[HealthPoller, list[Sample]]],
) -> None:
    entry = {"status": "fail", "observedValue": None, "output": "database unreachable: x"}
    doc = {"status": "fail", "output": "database unreachable"}
    doc["checks"] = {"database:responseTime": [entry]}
    poller, _ = make(lambda r: health(doc, 503))
    sample = poller.poll_once()
    assert sample is not None
    assert sample.status == "fail" and sample.answered and sample.http_status == 503
    assert sample.checks["database:responseTime"].status == "fail" and sample.db_ms is None


@pytest.mark.parametrize(
    ("handler", "output", "http_status"),
    [
        (lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused", request=r)),
         "connection refused or unreachable", None),
        (lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=r)),
         "no answer in time", None),
        (lambda r: httpx.Response(502, text="<html>Bad gateway</html>"),
         "answered HTTP 502 without a health document", 502),
        (lambda r: httpx.Response(200, json={"status": "maybe"}),
         "answered HTTP 200 without a health document", 200),
    ],
)  # fmt: skip
def test_no_health_document_is_a_down_sample(
    make: Callable[..., tuple[HealthPoller, list[Sample]]],
    handler: Handler,
    output: str,
    http_status: int | None,
) -> None:
    poller, samples = make(handler)
    sample = poller.poll_once()
    assert sample is not None and samples == [sample]
    assert sample.status == "down" and not sample.answered
    assert sample.output == output and sample.http_status == http_status
    assert sample.checks == {} and sample.routers == ()


def test_the_timeout_is_the_configured_one(
    make: Callable[..., tuple[HealthPoller, list[Sample]]],
) -> None:
    timeouts: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"])
        return health(DOC)

    poller, _ = make(handler, DesktopConfig(poll_timeout_s=0.75))
    poller.poll_once()
    poller.configure(DesktopConfig(poll_timeout_s=3))
    poller.poll_once()
    assert [t["read"] for t in timeouts] == [0.75, 3]  # type: ignore[index]


def test_no_address_yet_means_no_poll(
    make: Callable[..., tuple[HealthPoller, list[Sample]]],
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    poller, samples = make(handler, url=None)
    assert poller.poll_once() is None and samples == []


def test_polls_keep_a_steady_rhythm(
    make: Callable[..., tuple[HealthPoller, list[Sample]]],
    sched: ManualScheduler,
    clock: FakeClock,
) -> None:
    slow = {"next": 0.1}

    def handler(request: httpx.Request) -> httpx.Response:
        clock.advance(slow["next"])
        return health(DOC)

    poller, samples = make(handler)
    t0 = clock.monotonic()
    poller.start()
    poller.start()  # twice is once
    sched.advance(6.05)
    assert [round(s.mono - t0, 2) for s in samples] == [0, 2, 4, 6]
    slow["next"] = 2.5  # slower than the interval: the next poll follows at once
    sched.advance(9)
    times = [round(s.mono - t0, 2) for s in samples]
    assert times[4:7] == [8, 10.5, 13]
    slow["next"] = 0.0
    sched.run()
    count = len(samples)
    poller.poll_now()
    sched.run()
    assert len(samples) == count + 1
    sched.advance(2.01)  # one rhythm from the poll asked for, not two chains of polls
    assert len(samples) == count + 2


def test_the_ring_keeps_the_last_hour(
    make: Callable[..., tuple[HealthPoller, list[Sample]]],
    sched: ManualScheduler,
    clock: FakeClock,
) -> None:
    poller, samples = make(lambda r: health(DOC), DesktopConfig(poll_interval_s=60))
    poller.start()
    sched.advance(2 * 3600)
    assert len(samples) == 121
    kept = poller.recent()
    assert len(kept) == 61 and kept[0].mono == clock.monotonic() - 3600
    assert [s.mono for s in poller.recent(600)] == [clock.monotonic() - 60 * i
                                                     for i in range(10, -1, -1)]  # fmt: skip


def test_backend_alerts_are_fetched_with_the_admin_token(
    make: Callable[..., tuple[HealthPoller, list[Sample]]],
    sched: ManualScheduler,
) -> None:
    seen: list[str] = []
    active = [{"id": "a1", "rule": "memory", "subject": "system", "severity": "warning",
               "message": "Memory use is high."}]  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        assert request.headers["authorization"] == "Bearer admin-token"
        if request.url.path == "/api/v1/monitoring/alerts":
            return httpx.Response(200, json={"active": active, "recent": []})
        return health(DOC)

    poller, _ = make(handler, DesktopConfig(backend_alerts_interval_s=4), token="admin-token")
    fetched: list[list[dict[str, Any]]] = []
    poller.alerts_fetched.connect(fetched.append)
    poller.start()
    sched.advance(10.5)
    assert seen.count("/readyz") == 6
    assert seen.count("/api/v1/monitoring/alerts") == 3  # at 0, 4 and 8 s
    assert fetched == [active] * 3


def test_a_refused_token_is_said_once(
    make: Callable[..., tuple[HealthPoller, list[Sample]]],
    sched: ManualScheduler,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/monitoring/alerts":
            return httpx.Response(401, json={"detail": "no"})
        return health(DOC)

    poller, _ = make(handler, DesktopConfig(backend_alerts_interval_s=2), token="wrong")
    fetched: list[object] = []
    poller.alerts_fetched.connect(fetched.append)
    poller.start()
    with caplog.at_level(logging.WARNING):
        sched.advance(10)
    warnings = [r for r in caplog.records if "refused the admin token" in r.getMessage()]
    assert len(warnings) == 1 and fetched == []


def test_no_alerts_fetch_without_a_token_or_an_answer(
    make: Callable[..., tuple[HealthPoller, list[Sample]]],
) -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return httpx.Response(500, text="oops")

    poller, _ = make(handler, token="admin-token")
    poller.poll_once()
    assert paths == ["/readyz"]


def test_a_failing_observer_does_not_stop_polling(
    make: Callable[..., tuple[HealthPoller, list[Sample]]],
    sched: ManualScheduler,
    caplog: pytest.LogCaptureFixture,
) -> None:
    poller, samples = make(lambda r: health(DOC))

    def broken(sample: Sample) -> None:
        raise RuntimeError("a UI bug")

    poller.sample_taken.connect(broken)
    poller.start()
    with caplog.at_level(logging.ERROR):
        sched.advance(4.5)
    assert len(samples) == 3
    assert any("sample_taken" in r.getMessage() and r.exc_info for r in caplog.records)


def test_close_stops_polling(
    make: Callable[..., tuple[HealthPoller, list[Sample]]], sched: ManualScheduler
) -> None:
    poller, samples = make(lambda r: health(DOC))
    poller.start()
    sched.advance(1)
    poller.close()
    sched.advance(60)
    assert len(samples) == 1
