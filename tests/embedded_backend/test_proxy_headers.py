"""``proxy_headers`` is off unless configured: X-Forwarded-For cannot fake the client."""

from __future__ import annotations

from collections.abc import Callable

from embedded_backend.config import Settings
from tests.helpers.live import live_server

REMOTE = {"X-Forwarded-For": "192.0.2.10"}


def test_forwarded_for_is_ignored_by_default(make_settings: Callable[..., Settings]) -> None:
    with live_server(make_settings()) as live, live.client(token=None) as c:
        # Loopback clients get the full health report; the header changes nothing.
        assert "checks" in c.get("/health", headers=REMOTE).json()


def test_forwarded_for_is_used_from_an_allowed_proxy(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(proxy_headers=True, forwarded_allow_ips="127.0.0.1")
    with live_server(settings) as live, live.client(token=None) as c:
        assert "checks" in c.get("/health").json()
        # Through the proxy, the real client is remote: status only.
        assert set(c.get("/health", headers=REMOTE).json()) == {"status", "version", "serviceId"}


def test_forwarded_for_from_a_proxy_not_listed_is_ignored(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(proxy_headers=True, forwarded_allow_ips="10.9.9.9")
    with live_server(settings) as live, live.client(token=None) as c:
        assert "checks" in c.get("/health", headers=REMOTE).json()
