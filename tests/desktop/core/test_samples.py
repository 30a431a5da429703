"""parse_health and SampleRing (the poller's tests cover documents from a backend)."""

from __future__ import annotations

from typing import Any

import pytest

from desktop.core.samples import SampleRing, parse_health
from tests.desktop.fakes import FakeClock, sample


@pytest.mark.parametrize(
    "doc",
    [None, [], "pass", {"status": "ok"}, {"checks": {}}, {"status": None}],
)
def test_what_is_not_a_health_document(doc: Any) -> None:
    assert parse_health(doc) is None


def test_the_status_alone_is_a_document() -> None:
    # What a client that is neither on this machine nor holding the admin token gets.
    health = parse_health({"status": "pass", "version": "1.2.0", "serviceId": "vigia"})
    assert health is not None
    assert (health.status, health.output, dict(health.checks), health.routers) == (
        "pass",
        None,
        {},
        (),
    )


def test_malformed_entries_are_skipped_not_fatal() -> None:
    health = parse_health(
        {
            "status": "warn",
            "checks": {
                "database:responseTime": [{"status": "pass", "observedValue": True}],
                "disk:utilization": [{"status": "unknown"}],
                "uptime": [],
                "routers:loaded": [{"status": "pass"}, "x", {"componentId": "a", "status": "?"}],
                "future:thing": [{"status": "pass", "observedValue": 3}],
            },
        }
    )
    assert health is not None
    assert set(health.checks) == {"database:responseTime", "future:thing"}
    assert health.checks["database:responseTime"].value is None  # a bool is not a number
    assert health.routers == ()


def test_the_ring_forgets_what_is_older_than_its_span() -> None:
    clock = FakeClock()
    ring = SampleRing(span_s=10)
    assert ring.latest is None
    for _ in range(8):
        ring.add(sample(clock))
        clock.advance(2)
    kept = ring.since()
    assert len(ring) == 6 and kept[0].mono == clock.monotonic() - 12
    assert ring.latest is kept[-1]
    assert len(ring.since(clock.monotonic() - 4)) == 2
