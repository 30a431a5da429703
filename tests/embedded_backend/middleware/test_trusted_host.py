"""Host header check on a real server: loopback and configured names pass, others get 400."""

from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
import psutil
import pytest

from embedded_backend.config import Settings
from embedded_backend.middleware.trusted_host import allowed_hosts, own_addresses
from tests.embedded_backend.api.support import assert_problem
from tests.helpers.live import LiveServer, live_server


def _get(live: LiveServer, host: str, path: str = "/api/v1/products") -> httpx.Response:
    with live.client() as c:
        return c.get(path, headers={"Host": host})


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST:8002", "127.0.0.1", "127.0.0.1:1234", "[::1]", "[::1]:8002"]
)
def test_loopback_names_pass(sqlite_server: LiveServer, host: str) -> None:
    assert _get(sqlite_server, host).status_code == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8002", "localhost.evil.example", "127.0.0.2", "10.1.1.1"]
)
def test_foreign_host_is_a_400_problem(sqlite_server: LiveServer, host: str) -> None:
    r = _get(sqlite_server, host)
    body = assert_problem(r, 400)
    assert body["title"] == "Unknown host"
    assert "trusted_hosts" in body["detail"]
    assert r.headers["x-content-type-options"] == "nosniff"
    # Health is guarded too (a rebinding page must not read the full report).
    assert_problem(_get(sqlite_server, host, "/health"), 400)
    # And the server keeps serving the right names.
    assert _get(sqlite_server, "localhost").status_code == 200


def test_configured_lan_names_and_wildcards_pass(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(trusted_hosts="erp-server,*.office.lan")
    with live_server(settings) as live:
        assert _get(live, "erp-server:8002").status_code == 200
        assert _get(live, "ERP-SERVER").status_code == 200
        assert _get(live, "pc7.office.lan").status_code == 200
        assert _get(live, "localhost").status_code == 200
        assert_problem(_get(live, "erp-server.evil.example"), 400)
        assert_problem(_get(live, "office.lan.evil.example"), 400)


def test_star_turns_the_check_off(make_settings: Callable[..., Settings]) -> None:
    with live_server(make_settings(trusted_hosts="*")) as live:
        assert _get(live, "anything.example").status_code == 200


def test_a_lan_server_answers_to_its_own_name_and_addresses(
    make_settings: Callable[..., Settings],
) -> None:
    addresses = [
        a.address
        for nic in psutil.net_if_addrs().values()
        for a in nic
        if a.family == socket.AF_INET and not a.address.startswith("127.")
    ]
    with live_server(make_settings(host="0.0.0.0")) as live:
        assert _get(live, socket.gethostname()).status_code == 200
        for address in addresses:
            assert _get(live, f"{address}:{live.runner.port}").status_code == 200
        assert_problem(_get(live, "evil.example"), 400)


def test_allowed_hosts_for_each_kind_of_bind() -> None:
    assert own_addresses("127.0.0.1") == [] and own_addresses("localhost") == []
    assert own_addresses("::1") == []
    lan = allowed_hosts("192.168.10.5", ["erp-server"])
    assert lan[:5] == ["localhost", "127.0.0.1", "[::1]", "::1", "erp-server"]
    assert "192.168.10.5" in lan and socket.gethostname().lower() in lan
    v6 = own_addresses("fd00::5")
    assert "[fd00::5]" in v6
    everywhere = own_addresses("::")
    for nic in psutil.net_if_addrs().values():
        for a in nic:
            if a.family == socket.AF_INET:
                assert a.address in everywhere
            elif a.family == socket.AF_INET6 and "%" not in a.address:
                assert f"[{a.address}]" in everywhere  # IPv6 in brackets, as in Host
    assert not any("%" in host for host in everywhere)  # zone ids are dropped
