"""The protection layers together on a real server: CORS, gzip, and their order."""

from __future__ import annotations

import gzip
from collections.abc import Callable

from embedded_backend.config import Settings
from embedded_backend.middleware.body_limit import BodyLimitMiddleware
from embedded_backend.middleware.rate_limit import RateLimitMiddleware
from tests.embedded_backend.api.support import assert_problem, make_product
from tests.helpers.live import LiveServer, live_server

ORIGIN = "http://desk.office.lan:3000"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}


def _middleware_names(live: LiveServer) -> list[str]:
    app = live.runner.app
    assert app is not None
    return [m.cls.__name__ for m in app.user_middleware]  # type: ignore[attr-defined]


def test_cors_is_absent_by_default(sqlite_server: LiveServer) -> None:
    assert "CORSMiddleware" not in _middleware_names(sqlite_server)
    with sqlite_server.client() as c:
        r = c.options("/api/v1/products", headers=PREFLIGHT)
        assert "access-control-allow-origin" not in r.headers
        r = c.get("/api/v1/products", headers={"Origin": ORIGIN})
        assert r.status_code == 200
        assert "access-control-allow-origin" not in r.headers


def test_cors_when_configured(make_settings: Callable[..., Settings]) -> None:
    with live_server(make_settings(cors_origins=ORIGIN, rate_limit_per_minute=5)) as live:
        with live.client(token=None) as anon:
            r = anon.options("/api/v1/products", headers=PREFLIGHT)
            assert r.status_code == 200, r.text
            assert r.headers["access-control-allow-origin"] == ORIGIN
            assert "authorization" in r.headers["access-control-allow-headers"].lower()
            assert "POST" in r.headers["access-control-allow-methods"]
            # Preflights are answered before the rate limit: never counted, never refused.
            for _ in range(10):
                assert anon.options("/api/v1/products", headers=PREFLIGHT).status_code == 200
            # Another origin is refused.
            other = anon.options(
                "/api/v1/products", headers={**PREFLIGHT, "Origin": "http://evil.example"}
            )
            assert other.status_code == 400
            assert "access-control-allow-origin" not in other.headers
        with live.client() as c:
            r = c.get("/api/v1/products", headers={"Origin": ORIGIN})
            assert r.status_code == 200
            assert r.headers["access-control-allow-origin"] == ORIGIN
            assert "x-request-id" in r.headers["access-control-expose-headers"].lower()


def test_large_answers_are_gzipped_small_ones_are_not(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        for i in range(30):
            make_product(c, name=f"Parafuso sextavado M{i} zincado")
        r = c.get("/api/v1/products", params={"limit": 30}, headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200
        assert r.headers["content-encoding"] == "gzip"
        assert "accept-encoding" in r.headers["vary"].lower()
        assert r.json()["total"] == 30  # httpx decoded it
        assert r.headers["x-content-type-options"] == "nosniff"  # headers survive gzip
        # The same answer for a client that does not accept gzip is plain.
        plain = c.get(
            "/api/v1/products", params={"limit": 30}, headers={"Accept-Encoding": "identity"}
        )
        assert "content-encoding" not in plain.headers
        assert plain.json() == r.json()
        assert int(plain.headers["content-length"]) >= 1000
        # Small answers are never compressed.
        small = c.get("/api/v1/products", params={"limit": 1}, headers={"Accept-Encoding": "gzip"})
        assert "content-encoding" not in small.headers
        assert "content-encoding" not in c.get("/livez").headers


def test_gzip_body_is_really_gzip(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        for i in range(20):
            make_product(c, name=f"Arruela lisa {i} milimetros aco inox")
        params = {"limit": 20}
        plain = c.get("/api/v1/products", params=params, headers={"Accept-Encoding": "identity"})
        # The bytes on the wire, without httpx's decoding.
        with c.stream(
            "GET", "/api/v1/products", params=params, headers={"Accept-Encoding": "gzip"}
        ) as r:
            wire = b"".join(r.iter_raw())
    assert len(wire) < len(plain.content) / 2
    assert gzip.decompress(wire) == plain.content


def test_refusals_carry_request_id_and_security_headers(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(rate_limit_per_minute=2, max_body_bytes=100)
    with live_server(settings) as live, live.client() as c:
        checks = [
            c.get("/api/v1/products", headers={"Host": "evil.example"}),  # 400
            c.post("/api/v1/products", content=b"x" * 500),  # 413
        ]
        c.get("/api/v1/products")
        c.get("/api/v1/products")
        checks.append(c.get("/api/v1/products"))  # 429
        for r, status in zip(checks, (400, 413, 429), strict=True):
            assert_problem(r, status)
            assert r.headers["x-frame-options"] == "DENY"
            assert r.headers["cache-control"] == "no-store"


def test_layers_that_are_off_are_not_installed(make_settings: Callable[..., Settings]) -> None:
    with live_server(make_settings(rate_limit_per_minute=0, max_body_bytes=0)) as live:
        names = _middleware_names(live)
        assert RateLimitMiddleware.__name__ not in names
        assert BodyLimitMiddleware.__name__ not in names
        assert live.runner.state is not None
        with live.client() as c:
            assert c.post("/api/v1/products", content=b"x" * 2_000_000).status_code == 422
    settings = make_settings(rate_limit_per_minute=7, cors_origins=ORIGIN)
    with live_server(settings) as live:
        names = _middleware_names(live)  # outermost first
        start = names.index("CorrelationIdMiddleware")
        assert names[start : start + 8] == [
            "CorrelationIdMiddleware",
            "SecurityHeadersMiddleware",
            "TrustedHostMiddleware",
            "CORSMiddleware",
            "BodyLimitMiddleware",
            "RateLimitMiddleware",
            "GZipIfAcceptedMiddleware",
            "RouterGateMiddleware",
        ]
        assert names.index("GuardMiddleware") < start
