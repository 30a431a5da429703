"""Request bodies over max_body_bytes: 413 problem+json, declared or chunked, server unharmed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from embedded_backend.config import Settings
from tests.embedded_backend.api.support import assert_problem, make_product, unique
from tests.helpers.live import LiveServer, live_server

LIMIT = 2000
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def limited(make_settings: Callable[..., Settings]) -> Iterator[LiveServer]:
    with live_server(make_settings(max_body_bytes=LIMIT)) as live:
        yield live


def _product(padding: int) -> bytes:
    return json.dumps(
        {"sku": unique("SKU"), "name": "P" + " " * padding, "price": "1.00", "stock": 1}
    ).encode()


def _chunks(body: bytes, size: int = 300) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_declared_length_over_the_limit_is_413(limited: LiveServer) -> None:
    with limited.client() as c:
        r = c.post("/api/v1/products", content=_product(LIMIT * 3), headers=JSON)
        body = assert_problem(r, 413)
        assert str(LIMIT) in body["detail"]
        assert r.headers["x-content-type-options"] == "nosniff"
        # The same connection keeps working, and bodies within the limit are served.
        assert c.get("/livez").status_code == 200
        ok = c.post("/api/v1/products", content=_product(10), headers=JSON)
        assert ok.status_code == 201, ok.text


def test_chunked_body_over_the_limit_is_413(limited: LiveServer) -> None:
    with limited.client() as c:
        big = _product(LIMIT * 3)
        r = c.post(
            "/api/v1/products",
            content=_chunks(big),
            headers=JSON,
        )
        assert r.request.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in r.request.headers
        assert_problem(r, 413)
        # Nothing was written.
        assert c.get("/api/v1/products").json()["total"] == 0
        # A chunked body within the limit goes through.
        ok = c.post(
            "/api/v1/products",
            content=_chunks(_product(100)),
            headers=JSON,
        )
        assert ok.status_code == 201, ok.text
        assert c.get("/api/v1/products").json()["total"] == 1


def test_chunked_form_login_over_the_limit_is_413(limited: LiveServer) -> None:
    form = b"username=ana&password=" + b"x" * (LIMIT * 2)
    with limited.client(token=None) as anon:
        r = anon.post(
            "/api/v1/auth/token",
            content=_chunks(form),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert_problem(r, 413)


def test_chunked_body_to_a_route_that_does_not_read_it(limited: LiveServer) -> None:
    with limited.client() as c:
        r = c.request("GET", "/api/v1/products", content=_chunks(b"x" * LIMIT * 3))
        assert r.status_code == 200  # never read, so never too large
        assert c.get("/livez").status_code == 200


def test_default_limit_is_one_mebibyte(sqlite_server: LiveServer) -> None:
    mib = 1024 * 1024
    with sqlite_server.client() as c:
        assert_problem(c.post("/api/v1/products", content=b"{" + b" " * mib), 413)
        exact = b"{" + b" " * (mib - 2) + b"}"
        assert c.post("/api/v1/products", content=exact).status_code == 422  # read, then invalid
        make_product(c)  # and the server carries on
