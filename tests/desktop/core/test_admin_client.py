"""The admin API client against a real backend (uvicorn on port 0) and, for transport
failures, against httpx.MockTransport."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from desktop.core.admin_client import AdminClient
from desktop.core.errors import AdminError
from tests.helpers.live import ADMIN_TOKEN, LiveServer


@pytest.fixture
def client(sqlite_server: LiveServer) -> Iterator[AdminClient]:
    with AdminClient(lambda: sqlite_server.url, lambda: ADMIN_TOKEN) as client:
        yield client


def test_routers_list_disable_enable(client: AdminClient) -> None:
    names = {r["name"]: r for r in client.routers()}
    assert "products" in names and names["products"]["status"] == "loaded"

    assert client.disable_router("products")["status"] == "disabled"
    assert {r["name"]: r["status"] for r in client.routers()}["products"] == "disabled"
    assert client.enable_router("products")["status"] == "loaded"


def test_problem_detail_becomes_the_message(client: AdminClient) -> None:
    with pytest.raises(AdminError) as info:
        client.disable_router("admin")
    assert info.value.status == 409
    assert info.value.detail is not None and "cannot be disabled" in info.value.detail
    assert str(info.value).startswith("The admin router cannot be disabled")

    with pytest.raises(AdminError) as info:
        client.enable_router("no-such-router")
    assert info.value.status == 404
    assert "no-such-router" in str(info.value)


def test_alerts_and_unknown_resolve(client: AdminClient) -> None:
    answer = client.alerts()
    assert set(answer) >= {"active", "recent"}
    with pytest.raises(AdminError) as info:
        client.resolve_alert("0123abc")
    assert info.value.status == 404


def test_restart_is_accepted_and_the_backend_comes_back(
    client: AdminClient, sqlite_server: LiveServer
) -> None:
    assert client.restart() == {"status": "restarting"}
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(sqlite_server.url + "/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the backend did not come back"
        time.sleep(0.1)
    assert client.routers()


def test_wrong_token(sqlite_server: LiveServer) -> None:
    client = AdminClient(lambda: sqlite_server.url, lambda: "wrong-token-0000000000000000")
    with client, pytest.raises(AdminError, match="refused the admin token") as info:
        client.routers()
    assert info.value.status == 401


def test_not_started_and_no_token() -> None:
    with pytest.raises(AdminError, match="not running yet"):
        AdminClient(lambda: None, lambda: "t").routers()
    with pytest.raises(AdminError, match="admin token"):
        AdminClient(lambda: "http://127.0.0.1:9", lambda: None).routers()


def test_no_answer_says_so() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = AdminClient(
        lambda: "http://erp:8002", lambda: "t", transport=httpx.MockTransport(refuse)
    )
    with pytest.raises(AdminError, match="Cannot reach the ERP server at http://erp:8002") as info:
        client.alerts()
    assert info.value.status is None


def test_query_parameters_and_paths() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"items": [], "job": "j1"})

    client = AdminClient(
        lambda: "http://erp:8002/", lambda: "tok", transport=httpx.MockTransport(answer)
    )
    client.logs(level="ERROR", text=None, limit=50)
    client.create_backup()
    client.backup_job("j 1")
    client.verify_backup("b1")
    client.restore_backup("b1")
    assert [(r.method, r.url.path) for r in seen] == [
        ("GET", "/api/v1/admin/logs"),
        ("POST", "/api/v1/admin/backups"),
        ("GET", "/api/v1/admin/backups/jobs/j 1"),  # decoded path
        ("POST", "/api/v1/admin/backups/b1/verify"),
        ("POST", "/api/v1/admin/backups/b1/restore"),
    ]
    assert seen[2].url.raw_path == b"/api/v1/admin/backups/jobs/j%201"
    assert dict(seen[0].url.params) == {"level": "ERROR", "limit": "50"}
    assert seen[0].headers["authorization"] == "Bearer tok"
