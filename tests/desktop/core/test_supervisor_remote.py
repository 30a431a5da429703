"""The supervisor in remote mode: it watches a backend it does not own and asks it to
restart through the admin API (httpx.MockTransport), on a fake clock."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from desktop.core.remote import RemoteBackend
from desktop.core.supervisor import State, Supervisor
from tests.desktop.fakes import FakeClock, FakeRunner, ManualScheduler, Seen, feed, sample

S = State


# -- remote mode --------------------------------------------------------------------------
def remote(
    handler: Callable[[httpx.Request], httpx.Response], token: str | None = "tok"
) -> RemoteBackend:
    return RemoteBackend("http://erp-server:8002/", token, transport=httpx.MockTransport(handler))


def refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected request {request.url}")


@pytest.fixture
def make_remote(sched: ManualScheduler, seen: Seen) -> Callable[..., Supervisor]:
    def make(
        handler: Callable[[httpx.Request], httpx.Response] = refuse, **kw: object
    ) -> Supervisor:
        sup = Supervisor(remote=remote(handler, **kw), scheduler=sched)  # type: ignore[arg-type]
        sup.state_changed.connect(seen)
        return sup

    return make


def test_remote_backend_is_watched_never_restarted_on_its_own(
    make_remote: Callable[..., Supervisor], sched: ManualScheduler, clock: FakeClock, seen: Seen
) -> None:
    sup = make_remote()
    assert sup.url == "http://erp-server:8002" and not sup.owns_process
    sup.start()
    sched.run()
    assert sup.state is S.STARTING and seen.last(S.STARTING).reason == (
        "watching http://erp-server:8002"
    )
    feed(sup, sched, sample(clock))
    assert sup.state is S.RUNNING
    feed(
        sup,
        sched,
        *(sample(clock, "down", output="connection refused or unreachable") for _ in range(5)),
    )
    assert seen.states == [S.STARTING, S.RUNNING, S.FAILED]  # no backoff, no fatal
    failed = seen.last(S.FAILED)
    assert failed.down and not failed.owned and failed.failures == 0
    sched.advance(3600)
    assert sup.state is S.FAILED
    feed(sup, sched, sample(clock, "warn"))
    assert sup.state is S.DEGRADED


def test_remote_restart_goes_through_the_admin_api_and_waits_for_the_new_instance(
    make_remote: Callable[..., Supervisor], sched: ManualScheduler, clock: FakeClock, seen: Seen
) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(202, json={"status": "restarting"})

    sup = make_remote(handler)
    sup.start()
    sched.run()
    feed(sup, sched, sample(clock, uptime_s=5000))
    sup.restart()
    sched.run()
    assert [(r.method, str(r.url)) for r in calls] == [
        ("POST", "http://erp-server:8002/api/v1/admin/restart")
    ]
    assert calls[0].headers["authorization"] == "Bearer tok"
    assert sup.state is S.STARTING and not seen.last(S.STARTING).down
    clock.advance(2)
    feed(sup, sched, sample(clock, uptime_s=5002))  # the old instance, still draining
    assert sup.state is S.STARTING
    clock.advance(2)
    feed(sup, sched, sample(clock, uptime_s=1))  # uptime went back: the new one
    assert sup.state is S.RUNNING
    sched.advance(120)  # the deadline was cancelled
    assert sup.state is S.RUNNING


def test_remote_restart_without_uptimes_waits_to_see_the_backend_down(
    make_remote: Callable[..., Supervisor], sched: ManualScheduler, clock: FakeClock
) -> None:
    sup = make_remote(lambda r: httpx.Response(202, json={"status": "restarting"}))
    sup.start()
    sched.run()
    feed(sup, sched, sample(clock, uptime_s=None))
    sup.restart()
    sched.run()
    clock.advance(1)
    feed(sup, sched, sample(clock, uptime_s=None))  # which instance? cannot tell yet
    assert sup.state is S.STARTING
    feed(sup, sched, *(sample(clock, "down") for _ in range(5)))  # restarting: no "failed"
    assert sup.state is S.STARTING
    feed(sup, sched, sample(clock, uptime_s=None))
    assert sup.state is S.RUNNING


def test_remote_restart_that_never_comes_back_fails_after_the_deadline(
    make_remote: Callable[..., Supervisor], sched: ManualScheduler, clock: FakeClock, seen: Seen
) -> None:
    sup = make_remote(lambda r: httpx.Response(202, json={"status": "restarting"}))
    sup.start()
    sched.run()
    sup.restart()
    sched.run()
    sched.advance(59)
    assert sup.state is S.STARTING
    sched.advance(1)
    assert sup.state is S.FAILED and "did not come back within 60 s" in sup.reason


@pytest.mark.parametrize(
    ("status", "body", "token", "expected"),
    [
        (
            409,
            {"detail": "this backend was not started by a supervisor that can restart it"},
            "tok",
            "did not restart (HTTP 409): this backend was not started by a supervisor",
        ),
        (401, {"detail": "bad token"}, "tok", "refused the admin token"),
        (None, None, None, "needs its admin token"),
    ],
)
def test_a_refused_remote_restart_is_reported_and_changes_nothing(
    make_remote: Callable[..., Supervisor],
    sched: ManualScheduler,
    clock: FakeClock,
    seen: Seen,
    status: int | None,
    body: object,
    token: str | None,
    expected: str,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert status is not None
        return httpx.Response(
            status, content=json.dumps(body), headers={"content-type": "application/problem+json"}
        )

    sup = make_remote(handler, token=token)
    failures: list[str] = []
    sup.request_failed.connect(failures.append)
    sup.start()
    sched.run()
    feed(sup, sched, sample(clock))
    sup.restart()
    sched.run()
    assert len(failures) == 1 and expected in failures[0], failures
    assert sup.state is S.RUNNING and seen.states == [S.STARTING, S.RUNNING]


def test_remote_restart_without_an_answer_is_reported(
    make_remote: Callable[..., Supervisor], sched: ManualScheduler
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    sup = make_remote(handler)
    failures: list[str] = []
    sup.request_failed.connect(failures.append)
    sup.restart()
    sched.run()
    assert failures == [
        "The server at http://erp-server:8002 did not answer (ConnectError); check that it "
        "is on and connected to the network."
    ]


def test_a_supervisor_needs_exactly_one_backend(runner: FakeRunner) -> None:
    with pytest.raises(ValueError, match="either a runner"):
        Supervisor()
    with pytest.raises(ValueError, match="either a runner"):
        Supervisor(runner, remote(refuse), scheduler=ManualScheduler())
