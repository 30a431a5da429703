"""PostgreSQL goes away while the backend runs, then comes back.

The real server is never stopped: the backend reaches it through a TCP proxy that the
test pauses (all connections cut, new ones refused) and resumes. While it is down the
circuit breaker opens: ERP calls answer 503 problem+json with ``Retry-After`` at once, and
``/readyz`` says "circuit open" with the last error. When it is back the half-open probe
closes the circuit and the service answers again, without a restart.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from embedded_backend.config import Settings
from embedded_backend.db.circuit import CircuitState
from tests.helpers.databases import postgresql_database
from tests.helpers.live import LiveServer, live_server
from tests.helpers.tcp_proxy import TcpProxy, tcp_proxy

pytestmark = [pytest.mark.e2e, pytest.mark.postgresql]


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    with tcp_proxy("127.0.0.1", 5432) as running:
        yield running


@pytest.fixture
def backend(make_settings: Callable[..., Settings], proxy: TcpProxy) -> Iterator[LiveServer]:
    with postgresql_database() as url:
        proxied = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        settings = make_settings(
            database_url=proxied,
            db_circuit_failures=5,
            db_circuit_reset_s=1,
            db_connect_timeout_s=2,
            health_cache_s=0,
        )
        with live_server(settings) as live:
            yield live


def _assert_problem_503(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert int(r.headers["retry-after"]) >= 1
    body = r.json()
    assert body["status"] == 503 and body["request_id"]
    assert "Traceback" not in r.text


def db_state(backend: LiveServer) -> CircuitState:
    state = backend.runner.state
    assert state is not None
    return state.db.circuit.state


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_postgresql_outage_fails_fast_and_recovers_by_itself(
    backend: LiveServer, proxy: TcpProxy
) -> None:
    with backend.client() as c:
        r = c.post("/api/v1/products", json={"sku": "OUT-1", "name": "x", "price": 1, "stock": 3})
        assert r.status_code == 201, r.text
        assert c.get("/readyz").status_code == 200

        proxy.pause()

        # Until the circuit opens, calls fail on real connection attempts (still 503).
        for _ in range(10):
            _assert_problem_503(c.get("/api/v1/products"))

        # Open now: each call is refused without touching the network.
        refused_before = proxy.refused
        for _ in range(20):
            started = time.perf_counter()
            r = c.get("/api/v1/products")
            elapsed = time.perf_counter() - started
            _assert_problem_503(r)
            assert elapsed < 0.5, f"a refused call took {elapsed:.3f} s"
            r = c.post(
                "/api/v1/products", json={"sku": "OUT-2", "name": "y", "price": 1, "stock": 1}
            )
            _assert_problem_503(r)
        # Retry-After says when the next probe is due (reset is 1 s here).
        assert r.headers["retry-after"] == "1"
        # Half-open probes go out about once a second, not once per request.
        assert proxy.refused - refused_before < 10

        r = c.get("/readyz")
        assert r.status_code == 503
        doc = r.json()
        assert doc["status"] == "fail"
        assert "circuit open" in doc["output"]
        entry = doc["checks"]["database:responseTime"][0]
        assert entry["status"] == "fail"
        assert entry["output"].startswith("database unreachable (circuit open: ")
        assert "start the database server" in entry["output"]  # and what to do
        assert len(entry["output"]) > len("circuit open: ")  # the last error, not just a label
        assert c.get("/livez").status_code == 200

        # Past the reset time the next caller is the half-open probe; it fails, so the
        # circuit opens again and health still says why.
        time.sleep(1.2)
        r = c.get("/readyz")
        assert r.status_code == 503
        assert "circuit open" in r.json()["output"]
        started = time.perf_counter()
        _assert_problem_503(c.get("/api/v1/products"))
        assert time.perf_counter() - started < 0.5
        assert db_state(backend) is CircuitState.OPEN

        proxy.resume()

        _wait(lambda: c.get("/readyz").status_code == 200, 15, "/readyz to pass again")
        r = c.get("/api/v1/products")
        assert r.status_code == 200, r.text
        assert [p["sku"] for p in r.json()["items"]] == ["OUT-1"]
        r = c.post("/api/v1/products", json={"sku": "OUT-3", "name": "z", "price": 2, "stock": 1})
        assert r.status_code == 201, r.text
    assert db_state(backend) is CircuitState.CLOSED
