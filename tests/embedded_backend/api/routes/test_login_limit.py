"""Failed logins are limited per username: 200 wrong passwords, then the right one."""

from __future__ import annotations

from collections.abc import Callable

from embedded_backend.config import Settings
from tests.embedded_backend.api.support import assert_problem, make_user
from tests.helpers.live import LiveServer, live_server

TOKEN_URL = "/api/v1/auth/token"
PASSWORD = "senha-certa-123"


def test_200_failed_logins_are_stopped_after_10_for_that_username_only(
    server: LiveServer,
) -> None:
    assert server.settings.login_failures_per_minute == 10  # the default
    with server.client() as admin:
        make_user(admin, username="alvo", password=PASSWORD)
        make_user(admin, username="colega", password=PASSWORD)
    statuses: list[int] = []
    with server.client(token=None) as anon:
        for i in range(200):
            r = anon.post(TOKEN_URL, data={"username": "alvo", "password": f"chute-{i}"})
            statuses.append(r.status_code)
            if r.status_code == 429:
                body = assert_problem(r, 429)
                assert "failed logins" in body["detail"]
                assert 1 <= int(r.headers["retry-after"]) <= 60
        assert statuses == [401] * 10 + [429] * 190
        # Even the right password waits: that is what stops guessing.
        assert_problem(anon.post(TOKEN_URL, data={"username": "alvo", "password": PASSWORD}), 429)
        # Another username logs in, and its token works.
        ok = anon.post(TOKEN_URL, data={"username": "colega", "password": PASSWORD})
        assert ok.status_code == 200, ok.text
    with server.client(token=ok.json()["access_token"]) as colega:
        assert colega.get("/api/v1/products").status_code == 200

    with server.client() as admin:
        failed = admin.get(
            "/api/v1/admin/audit", params={"action": "auth.login_failed", "actor": "alvo"}
        ).json()
        assert failed["total"] == 10  # refused attempts are not written: no flood of rows
        assert {row["target"] for row in failed["items"]} == {"alvo"}
        assert all(row["detail"] == {"client": "127.0.0.1"} for row in failed["items"])
        throttled = admin.get(
            "/api/v1/admin/audit", params={"action": "auth.login_throttled"}
        ).json()
        assert throttled["total"] == 1
        assert throttled["items"][0]["target"] == "alvo"
        assert throttled["items"][0]["detail"]["failures_per_minute"] == 10
        text = admin.get("/api/v1/admin/audit", params={"limit": 200}).text
        assert "chute-" not in text and PASSWORD not in text


def test_successful_logins_are_not_counted(make_settings: Callable[..., Settings]) -> None:
    with live_server(make_settings(login_failures_per_minute=2)) as live:
        with live.client() as admin:
            make_user(admin, username="rita", password=PASSWORD)
        with live.client(token=None) as anon:
            for _ in range(5):
                r = anon.post(TOKEN_URL, data={"username": "rita", "password": PASSWORD})
                assert r.status_code == 200
            assert (
                anon.post(TOKEN_URL, data={"username": "rita", "password": "x"}).status_code == 401
            )
            assert (
                anon.post(TOKEN_URL, data={"username": "rita", "password": "y"}).status_code == 401
            )
            assert_problem(
                anon.post(TOKEN_URL, data={"username": "rita", "password": PASSWORD}), 429
            )


def test_no_limit_when_zero(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(login_failures_per_minute=0)
    with live_server(settings) as live, live.client(token=None) as anon:
        for _ in range(15):
            r = anon.post(TOKEN_URL, data={"username": "ninguem", "password": "x"})
            assert r.status_code == 401
