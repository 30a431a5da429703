"""Requests per minute per user or token, on a real server (every client is 127.0.0.1)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest

from embedded_backend.config import Settings
from tests.embedded_backend.api.support import assert_problem, make_user
from tests.helpers.live import LiveServer, live_server

PASSWORD = "senha-longa-123"


@pytest.fixture
def hundred(make_settings: Callable[..., Settings]) -> Iterator[LiveServer]:
    with live_server(make_settings(rate_limit_per_minute=100)) as live:
        yield live


def _users(live: LiveServer, *names: str) -> list[str]:
    with live.client() as admin:
        for name in names:
            make_user(admin, username=name, password=PASSWORD)
    return [live.login(name, PASSWORD) for name in names]


def test_101st_request_in_a_minute_is_429_for_that_user_only(
    hundred: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    ana, bia = _users(hundred, "ana", "bia")
    with hundred.client(token=ana) as c:
        for i in range(100):
            assert c.get("/api/v1/products").status_code == 200, i
        with caplog.at_level(logging.WARNING, "embedded_backend.middleware.rate_limit"):
            r = c.get("/api/v1/products")
            assert_problem(c.get("/api/v1/customers"), 429)  # every route shares the budget
        body = assert_problem(r, 429)
        assert "100 requests in a minute" in body["detail"]
        assert 55 <= int(r.headers["retry-after"]) <= 60
        assert r.headers["x-request-id"]
    # One warning for the user, however many requests were refused.
    warnings = [rec for rec in caplog.records if "rate limit" in rec.getMessage()]
    assert len(warnings) == 1 and "user:" in warnings[0].getMessage()
    # Another user, the admin token and the health endpoints are unaffected.
    with hundred.client(token=bia) as c:
        assert c.get("/api/v1/products").status_code == 200
    with hundred.client() as c:
        assert c.get("/api/v1/products").status_code == 200
    with hundred.client(token=ana) as c:
        for path in ("/livez", "/readyz", "/health", "/metrics"):
            assert c.get(path).status_code == 200, path


def test_a_new_token_for_the_same_user_shares_the_budget(
    make_settings: Callable[..., Settings],
) -> None:
    with live_server(make_settings(rate_limit_per_minute=3)) as live:
        (first,) = _users(live, "caio")
        second = live.login("caio", PASSWORD)
        with live.client(token=first) as c:
            for _ in range(3):
                assert c.get("/api/v1/products").status_code == 200
        with live.client(token=second) as c:
            assert_problem(c.get("/api/v1/products"), 429)


def test_admin_token_has_its_own_budget(make_settings: Callable[..., Settings]) -> None:
    with live_server(make_settings(rate_limit_per_minute=3)) as live, live.client() as c:
        for _ in range(3):
            assert c.get("/api/v1/admin/routers").status_code == 200
        assert_problem(c.get("/api/v1/admin/routers"), 429)


def test_anonymous_requests_share_one_budget_per_address_but_login_is_separate(
    make_settings: Callable[..., Settings],
) -> None:
    with live_server(make_settings(rate_limit_per_minute=3)) as live:
        _users(live, "davi")
        with live.client(token=None) as anon:
            for _ in range(3):
                assert_problem(anon.get("/api/v1/products"), 401)
            assert_problem(anon.get("/api/v1/products"), 429)
        with live.client(token="not-a-valid-token") as forged:
            assert_problem(forged.get("/api/v1/products"), 429)  # same anonymous budget
        # Logging in is not counted per address (it has its own limit per username).
        for _ in range(5):
            assert live.login("davi", PASSWORD)


def test_off_when_zero(make_settings: Callable[..., Settings]) -> None:
    with live_server(make_settings(rate_limit_per_minute=0)) as live, live.client() as c:
        for _ in range(150):
            assert c.get("/livez").status_code == 200
        for _ in range(120):
            assert c.get("/api/v1/admin/routers").status_code == 200
