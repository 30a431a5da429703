"""The alert center on a fake clock: minimum duration, dedup, toasts only on change,
muting, history, waking from sleep, the backend's own alerts, translation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from desktop.core.alerts import AlertCenter, AlertRecord, Notice
from desktop.core.categories import Category
from desktop.core.config import DesktopConfig
from desktop.core.samples import RouterCheck
from desktop.core.supervisor import State, Transition
from tests.desktop.fakes import FakeClock, sample

S = State
C = Category


class Center:
    """An AlertCenter with what it emitted."""

    def __init__(self, clock: FakeClock, config: DesktopConfig, **kw: Any) -> None:
        self.clock = clock
        self.center = AlertCenter(config, clock=clock, **kw)
        self.toasts: list[Notice] = []
        self.changes: list[AlertRecord] = []
        self.center.toast_requested.connect(self.toasts.append)
        self.center.changed.connect(self.changes.append)

    def samples(
        self, seconds: float, status: Any = "pass", *, every: float = 2.0, **kw: Any
    ) -> None:
        """One sample now, then every ``every`` s for ``seconds`` (the last one at
        ``seconds``); the clock ends there."""
        elapsed = 0.0
        while True:
            self.center.on_sample(sample(self.clock, status, **kw))
            if elapsed >= seconds:
                return
            self.clock.advance(every)
            elapsed += every

    def transition(self, new: State, failures: int = 0, **kw: Any) -> None:
        self.center.on_transition(
            Transition(S.RUNNING, new, "test", self.clock.time(), failures, **kw)
        )

    def kinds(self) -> list[tuple[str, Category]]:
        return [(t.kind, t.category) for t in self.toasts]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make(clock: FakeClock) -> Callable[..., Center]:
    def make(config: DesktopConfig | None = None, **kw: Any) -> Center:
        return Center(clock, config or DesktopConfig(), **kw)

    return make


def test_a_short_condition_makes_no_toast(make: Callable[..., Center]) -> None:
    c = make()
    c.samples(4, "fail", db="fail")  # 0, 2, 4 s: less than 6 s
    c.clock.advance(2)
    c.samples(10)
    assert c.toasts == [] and c.changes == [] and c.center.history() == []


def test_a_lasting_condition_toasts_once_raised_and_once_resolved(
    make: Callable[..., Center],
) -> None:
    c = make()
    start = c.clock.time()
    c.samples(4, "fail", db="fail")
    assert c.toasts == []
    c.clock.advance(2)
    c.samples(20, "fail", db="fail")  # raised at 6 s, then it lasts: no more toasts
    assert c.kinds() == [("raised", C.DATABASE)]
    raised = c.toasts[0]
    assert raised.title == "Database not answering" and raised.severity == "error"
    assert raised.text.startswith("The ERP server cannot reach its database")
    [active] = c.center.active()
    assert active.raised_at == start + 6 and active.active
    c.clock.advance(2)
    c.samples(4)  # clear for 4 s: not yet
    assert len(c.toasts) == 1
    c.clock.advance(2)
    c.center.on_sample(sample(c.clock))
    assert c.kinds() == [("raised", C.DATABASE), ("resolved", C.DATABASE)]
    assert c.toasts[1].text == "The database is answering again."
    assert c.toasts[1].alert_id == raised.alert_id
    [record] = c.center.history()
    assert not record.active and record.resolved_by == "cleared"
    assert [(r.id, r.active) for r in c.changes] == [(record.id, True), (record.id, False)]
    assert c.center.active() == []


def test_a_flapping_condition_is_one_alert(make: Callable[..., Center]) -> None:
    c = make()
    c.samples(6, "fail", db="fail")
    for _ in range(10):
        c.clock.advance(2)
        c.center.on_sample(sample(c.clock))
        c.clock.advance(2)
        c.center.on_sample(sample(c.clock, "fail", db="fail"))
    assert c.kinds() == [("raised", C.DATABASE)] and len(c.center.history()) == 1


def test_a_muted_category_is_recorded_without_toasts(make: Callable[..., Center]) -> None:
    c = make(DesktopConfig(muted_categories=frozenset({C.DISK})))
    c.samples(10, "fail", disk=("warn", 93.0), db="fail")
    assert c.kinds() == [("raised", C.DATABASE)]
    disk = next(r for r in c.center.active() if r.category is C.DISK)
    assert disk.muted and disk.message.startswith("The disk with the ERP data is 93% full.")
    c.clock.advance(2)
    c.samples(10)
    assert c.kinds() == [("raised", C.DATABASE), ("resolved", C.DATABASE)]
    assert {(r.category, r.muted, r.active) for r in c.center.history()} == {
        (C.DISK, True, False),
        (C.DATABASE, False, False),
    }


def test_latency_needs_n_slow_samples_in_a_row(make: Callable[..., Center]) -> None:
    c = make(DesktopConfig(latency_threshold_ms=100, latency_samples=3, alert_min_duration_s=0))
    for latency in (150, 150, 20, 150, 150):
        c.center.on_sample(sample(c.clock, latency_ms=latency))
        c.clock.advance(2)
    assert c.toasts == []
    c.center.on_sample(sample(c.clock, latency_ms=180))
    assert c.kinds() == [("raised", C.LATENCY)]
    assert c.toasts[0].text.startswith("The ERP server took 180 ms to answer, 3 times in a row")
    c.center.on_sample(sample(c.clock, "down"))  # no answer: unknown, the streak restarts
    c.center.on_sample(sample(c.clock, latency_ms=20))
    assert c.kinds()[-1] == ("resolved", C.LATENCY)


def test_each_failed_router_is_its_own_alert(make: Callable[..., Center]) -> None:
    broken = (
        RouterCheck("whatsapp", "warn", error="ModuleNotFoundError: twilio"),
        RouterCheck("billing", "fail", error="ImportError: x"),
        RouterCheck("reports", "warn"),  # disabled by an administrator
    )
    c = make()
    c.samples(6, "warn", routers=broken)
    assert sorted((t.category, t.text.split("'")[1], t.severity) for t in c.toasts) == [
        (C.ROUTER, "billing", "error"),
        (C.ROUTER, "whatsapp", "warning"),
    ]
    c.clock.advance(2)
    c.samples(6, "warn", routers=broken[:1])
    assert c.kinds()[-1] == ("resolved", C.ROUTER)
    assert c.toasts[-1].text == "The ERP module 'billing' works again."
    assert [r.subject for r in c.center.active()] == ["whatsapp"]


def test_disk_and_backup_conditions(make: Callable[..., Center]) -> None:
    c = make()
    c.samples(6, "fail", disk=("fail", 99.0), backup=("warn", 96.0))
    by_category = {t.category: t for t in c.toasts}
    assert by_category[C.DISK].severity == "error"
    assert by_category[C.BACKUP].text.startswith("The newest backup is 4.0 days old.")


def test_a_quick_automatic_restart_makes_no_toast(make: Callable[..., Center]) -> None:
    c = make()
    c.transition(S.FAILED, failures=1)
    c.clock.advance(0.1)
    c.transition(S.BACKOFF, failures=1)
    c.transition(S.STARTING, failures=1)
    c.clock.advance(2)
    c.transition(S.RUNNING, failures=1)
    c.clock.advance(60)
    c.samples(10)
    assert c.toasts == []


def test_a_crash_loop_is_one_alert_until_it_is_over(make: Callable[..., Center]) -> None:
    c = make()
    for failures in range(1, 5):  # fails, waits, starts, fails again: never up for long
        c.transition(S.FAILED, failures=failures)
        c.transition(S.BACKOFF, failures=failures)
        c.clock.advance(failures)
        c.transition(S.STARTING, failures=failures)
        c.clock.advance(1)
    assert c.kinds() == [("raised", C.BACKEND_DOWN)]
    assert c.toasts[0].title == "ERP server stopped"
    c.transition(S.FATAL, failures=5, retry_in_s=300)
    [active] = c.center.active()
    assert active.severity == "critical" and "every 5 minutes" in active.message
    # Escalated: the advice changed (it keeps stopping), so one more toast says so.
    assert c.kinds() == [("raised", C.BACKEND_DOWN)] * 2 and c.changes[-1].severity == "critical"
    assert c.toasts[1].severity == "critical" and "every 5 minutes" in c.toasts[1].text
    assert c.toasts[1].alert_id == c.toasts[0].alert_id  # the same alert, not a new one
    c.transition(S.STARTING, failures=5)
    c.clock.advance(1)
    c.transition(S.RUNNING, failures=5)
    c.samples(6)
    assert c.kinds() == [("raised", C.BACKEND_DOWN)] * 2 + [("resolved", C.BACKEND_DOWN)]
    assert c.toasts[2].text == "The ERP server is working again."


def test_stopping_on_purpose_is_not_down_and_closes_alerts_quietly(
    make: Callable[..., Center],
) -> None:
    c = make()
    c.samples(6, "fail", db="fail")
    assert c.kinds() == [("raised", C.DATABASE)]
    c.transition(S.STOPPING)
    c.transition(S.STOPPED)
    c.samples(60, "down")
    assert c.kinds() == [("raised", C.DATABASE)]  # no "resolved" toast, no "down"
    [record] = c.center.history()
    assert record.resolved_by == "backend stopped"


def test_remote_down_names_the_server(make: Callable[..., Center]) -> None:
    c = make(url=lambda: "http://erp-server:8002")
    c.center.on_transition(Transition(S.RUNNING, S.FAILED, "no answer", 0, 0, owned=False))
    c.clock.advance(6)
    c.samples(0, "down")
    assert c.toasts[0].text.startswith("The ERP server at http://erp-server:8002 does not answer.")


def test_unknown_is_not_absent(make: Callable[..., Center]) -> None:
    c = make()
    c.samples(6, "fail", db="fail", disk=("pass", 50.0))
    c.clock.advance(2)
    c.samples(2, "warn", db="fail", disk=("warn", 95.0))  # disk pending, 2 s old
    c.clock.advance(2)
    c.samples(60, "down")  # the backend stopped answering: nothing known about its parts
    assert c.kinds() == [("raised", C.DATABASE)]  # not resolved, and no disk alert
    assert [r.category for r in c.center.active()] == [C.DATABASE]
    c.clock.advance(2)
    c.samples(4, "warn", disk=("warn", 95.0))
    assert c.kinds() == [("raised", C.DATABASE)]  # the disk condition starts over


def test_waking_from_sleep_rearms_instead_of_flooding(make: Callable[..., Center]) -> None:
    c = make()
    c.samples(6, "fail", db="fail")  # raised
    c.clock.advance(2)
    c.samples(4, "fail", disk=("warn", 95.0), backup=("warn", 80.0))  # db clearing, 2 pending
    assert c.kinds() == [("raised", C.DATABASE)]
    # Eight hours asleep. Linux: monotonic time stopped, wall time did not.
    c.clock.wall += 8 * 3600
    c.clock.advance(2)
    c.samples(4, "fail", disk=("warn", 95.0), backup=("warn", 80.0))
    assert c.kinds() == [("raised", C.DATABASE)]  # nothing fired at wake-up
    c.clock.advance(2)
    c.samples(0, "fail", disk=("warn", 95.0), backup=("warn", 80.0))
    assert sorted(c.kinds()[1:]) == [
        ("raised", C.BACKUP),
        ("raised", C.DISK),
        ("resolved", C.DATABASE),
    ]


def test_a_long_gap_between_samples_also_rearms(make: Callable[..., Center]) -> None:
    c = make()
    c.samples(4, "fail", db="fail")
    c.clock.advance(3 * 3600)  # Windows: both clocks moved while the PC slept
    c.samples(4, "fail", db="fail")
    assert c.toasts == []
    c.clock.advance(2)
    c.samples(0, "fail", db="fail")
    assert c.kinds() == [("raised", C.DATABASE)]


def backend_alert(
    rule: str, subject: str, message: str, severity: str = "warning"
) -> dict[str, Any]:
    return {"id": rule, "rule": rule, "subject": subject, "severity": severity,
            "state": "active", "message": message}  # fmt: skip


def test_the_backends_own_alerts(make: Callable[..., Center]) -> None:
    c = make()
    memory = backend_alert("memory", "system", "Memory use is at 95%. Close programs.", "error")
    disk = backend_alert("disk_free", "disk", "Only 4% of the disk is free.")
    for _ in range(4):
        c.center.on_backend_alerts([memory, disk, {"rule": "broken"}])
        c.samples(2, "warn", disk=("warn", 96.0))
    kinds = sorted(c.kinds())
    assert kinds == [("raised", C.DISK), ("raised", C.SERVER)]  # one disk alert, not two
    server = next(t for t in c.toasts if t.category is C.SERVER)
    assert (server.title, server.text, server.severity) == (
        "Server alert",
        "Memory use is at 95%. Close programs.",
        "error",
    )
    disk_alert = next(t for t in c.toasts if t.category is C.DISK)
    assert disk_alert.text.startswith("The disk with the ERP data is 96% full.")  # the tray's
    # The backend stops answering: its alerts are unknown, not gone.
    c.samples(120, "down")
    assert len(c.toasts) == 2
    c.center.on_backend_alerts([])
    c.samples(6)
    assert sorted(c.kinds())[:2] == [("raised", C.DISK), ("raised", C.SERVER)]
    resolved = {t.category: t.text for t in c.toasts if t.kind == "resolved"}
    assert resolved[C.SERVER] == (
        "The server no longer reports this problem: Memory use is at 95%. Close programs."
    )


def test_messages_go_through_the_translation_hook(make: Callable[..., Center]) -> None:
    portuguese = {
        "Disk almost full": "Disco quase cheio",
        "The disk with the ERP data is {percent:.0f}% full. Free space now (empty the "
        "recycle bin, move old files elsewhere), or the ERP may stop saving data.": (
            "O disco com os dados do ERP está {percent:.0f}% cheio. Libere espaço agora."
        ),
    }
    asked: list[str] = []

    def tr(text: str) -> str:
        asked.append(text)
        return portuguese.get(text, text)

    c = make(tr=tr)
    c.samples(6, "warn", disk=("warn", 93.4))
    assert c.toasts[0].title == "Disco quase cheio"
    assert c.toasts[0].text == "O disco com os dados do ERP está 93% cheio. Libere espaço agora."
    assert "There is enough free disk space again." in asked  # every text is offered


def test_close_ends_active_alerts_without_a_toast(make: Callable[..., Center]) -> None:
    c = make()
    c.samples(6, "fail", db="fail")
    c.center.close()
    assert c.kinds() == [("raised", C.DATABASE)]
    assert c.changes[-1].resolved_by == "Vigia closed" and c.center.active() == []


def test_older_history_is_listed_after_this_sessions(make: Callable[..., Center]) -> None:
    c = make()
    old = AlertRecord("old", C.BACKUP, "backups", "warning", "t", "m", 1.0, 2.0, 3.0)
    c.center.load_history([old])
    c.samples(6, "fail", db="fail")
    assert [r.id for r in c.center.history()][1:] == ["old"]
