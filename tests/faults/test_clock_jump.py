"""The wall clock of a running ``vigia serve`` steps forward 3 h (past the daily backup
time), then back 3 h, the way an NTP step or someone setting the time moves it: the
monotonic clock does not move.

How the child's clock is moved
------------------------------
libfaketime was the first choice, but the Debian 12 build (0.9.10) breaks Python with
``FAKETIME_DONT_FAKE_MONOTONIC=1``: ``time.sleep`` calls ``clock_nanosleep(CLOCK_MONOTONIC,
TIMER_ABSTIME)`` and libfaketime shifts that *monotonic* deadline by the fake offset, so
the call fails with EINVAL (``OSError: [Errno 22]`` from ``time.sleep(0.2)``; strace shows
``tv_sec=-1795644305``). Faking monotonic too is not what a clock step does. So the child
gets a 40-line ``LD_PRELOAD`` library of ours (compiled here with the C compiler; skipped
without one) that adds an offset to ``CLOCK_REALTIME`` (``clock_gettime``,
``gettimeofday``, ``time``) and to nothing else. The offset is 8 bytes (int64 ns) in a file
the child maps, so the test moves the child's clock at any moment by rewriting it. Every
wall-clock reading of the process (``time.time``, ``datetime.now``, log records, JWTs)
follows it; ``time.monotonic``, ``asyncio`` timers and ``perf_counter`` do not.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.process import Spawner, VigiaProcess
from tests.faults.record import FaultRow
from tests.helpers.waiting import wait_for

SHIFT_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* CLOCK_REALTIME + the int64 nanoseconds in $WALLCLOCK_OFFSET_FILE (mapped, re-read on
   every call); every other clock untouched. */
static volatile int64_t *offset_ns;
static int (*real_clock_gettime)(clockid_t, struct timespec *);

static void init(void) {
    if (real_clock_gettime) return;
    real_clock_gettime = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    const char *path = getenv("WALLCLOCK_OFFSET_FILE");
    int fd = path ? open(path, O_RDONLY) : -1;
    if (fd < 0) return;
    void *map = mmap(NULL, sizeof(int64_t), PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map != MAP_FAILED) offset_ns = (volatile int64_t *)map;
}

__attribute__((constructor)) static void setup(void) { init(); }

static void shift(struct timespec *ts) {
    int64_t ns = (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
    if (offset_ns) ns += __atomic_load_n(offset_ns, __ATOMIC_RELAXED);
    ts->tv_sec = ns / 1000000000LL;
    ts->tv_nsec = ns % 1000000000LL;
}

int clock_gettime(clockid_t clock, struct timespec *ts) {
    init();
    int result = real_clock_gettime(clock, ts);
    if (result == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE))
        shift(ts);
    return result;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    struct timespec ts;
    (void)tz;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return -1;
    if (tv) { tv->tv_sec = ts.tv_sec; tv->tv_usec = ts.tv_nsec / 1000; }
    return 0;
}

time_t time(time_t *out) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (out) *out = ts.tv_sec;
    return ts.tv_sec;
}
"""

BACKUP_TIME = "11:30"
START_AT = "10:00"  # the child's wall clock at the start (UTC, today's date)
STEP = timedelta(hours=3)
RATE_LIMIT = 60  # per minute, per user or token


@pytest.fixture(scope="session")
def shift_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build the wall-clock shift library (Debian: gcc)")
    folder = tmp_path_factory.mktemp("wallclock")
    source, library = folder / "shift.c", folder / "libwallclock.so"
    source.write_text(SHIFT_C, encoding="utf-8")
    subprocess.run(
        [compiler, "-O2", "-shared", "-fPIC", "-o", str(library), str(source), "-ldl"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return library


class WallClock:
    """The child's wall clock: real time plus an offset the test sets at any moment."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = timedelta(0)
        self.set(self.offset)

    def set(self, offset: timedelta) -> None:
        self.offset = offset
        nanoseconds = round(offset.total_seconds() * 1e9)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            os.pwrite(fd, struct.pack("<q", nanoseconds), 0)
        finally:
            os.close(fd)

    def step(self, delta: timedelta) -> None:
        self.set(self.offset + delta)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def wall_clock(tmp_path: Path) -> Iterator[WallClock]:
    clock = WallClock(tmp_path / "wallclock-offset")
    start = datetime.combine(datetime.now(UTC).date(), datetime.strptime(START_AT, "%H:%M").time())
    clock.set(start.replace(tzinfo=UTC) - datetime.now(UTC))
    yield clock


def server_time(c: httpx.Client) -> datetime:
    """The child's wall clock as it stamps its health document."""
    stamp = c.get("/readyz").json()["checks"]["database:responseTime"][0]["time"]
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def health(c: httpx.Client) -> tuple[str, float]:
    """(status, uptime in s) from a fresh health document; /readyz must pass."""
    r = c.get("/readyz")
    assert r.status_code == 200, r.text
    doc = r.json()
    return doc["status"], float(doc["checks"]["uptime"][0]["observedValue"])


def login(c: httpx.Client) -> str:
    r = c.post("/api/v1/auth/token", data={"username": "balcao", "password": "clock-step-test"})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def as_user(vigia: VigiaProcess, token: str) -> int:
    return vigia.client(token=token).get("/api/v1/products").status_code


def backups(c: httpx.Client) -> list[dict[str, Any]]:
    r = c.get("/api/v1/admin/backups")
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def clock_logs(vigia: VigiaProcess) -> list[dict[str, Any]]:
    return [r for r in vigia.log_records() if "the clock was moved" in r.get("msg", "")]


def test_wall_clock_steps_forward_past_backup_time_and_back(
    spawn: Spawner,
    shift_library: Path,
    wall_clock: WallClock,
    fault: Callable[[str], FaultRow],
) -> None:
    row = fault("Wall clock stepped +3 h (past the daily backup time) then -3 h while serving")
    vigia = spawn.start(
        "serve",
        env={
            "LD_PRELOAD": str(shift_library),
            "WALLCLOCK_OFFSET_FILE": str(wall_clock.path),
            "TZ": "UTC",
            "VIGIA_BACKUP_SCHEDULE_ENABLED": "true",
            "VIGIA_BACKUP_TIME": BACKUP_TIME,
            "VIGIA_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT),
            "VIGIA_HEALTH_CACHE_S": "0",
        },
    )
    vigia.wait_ready(60)
    admin = vigia.client()
    public = vigia.client(token=None)
    staff = {"username": "balcao", "password": "clock-step-test", "role": "staff"}
    r = admin.post("/api/v1/users", json=staff)
    assert r.status_code == 201, r.text

    # The child really runs on the shifted clock; the schedule waits for 11:30.
    assert abs((server_time(public) - wall_clock.now()).total_seconds()) < 5
    vigia.wait_for_log(lambda rec: "scheduled backups daily at" in rec.get("msg", ""))
    assert backups(admin) == []
    token_before = login(public)
    status0, uptime0 = health(public)
    real0 = time.monotonic()
    assert status0 == "pass"

    # -- forward: 10:00 -> 13:00, past 11:30 ----------------------------------------------
    wall_clock.step(STEP)
    stepped = time.monotonic()
    assert abs((server_time(public) - wall_clock.now()).total_seconds()) < 5
    made = vigia.wait_for_log(lambda rec: "scheduled backup" in rec.get("msg", "")
                              and "made" in rec.get("msg", ""), timeout=60)  # fmt: skip
    backup_s = time.monotonic() - stepped
    forward_log = wait_for(lambda: clock_logs(vigia), 30, "the forward step to be logged")[0]
    assert "moved forward by 3 h 0 min" in forward_log["msg"], forward_log
    assert len(backups(admin)) == 1
    status1, uptime1 = health(public)
    assert status1 == "pass"
    assert 0 <= uptime1 - uptime0 <= time.monotonic() - real0 + 2, (uptime0, uptime1)
    # Log timestamps follow the wall clock.
    made_at = datetime.fromisoformat(made["ts"])
    assert abs((made_at - wall_clock.now()).total_seconds()) < 60, made["ts"]
    token_after = login(public)
    assert as_user(vigia, token_before) == 200 and as_user(vigia, token_after) == 200

    # -- back: 13:00 -> 10:00, before 11:30 again ------------------------------------------
    wall_clock.step(-STEP)
    assert abs((server_time(public) - wall_clock.now()).total_seconds()) < 5
    back_log = wait_for(lambda: len(clock_logs(vigia)) >= 2 and clock_logs(vigia)[1], 30,
                        "the backward step to be logged")  # fmt: skip
    assert "moved back by 3 h 0 min" in back_log["msg"], back_log
    assert "the next is at" in back_log["msg"] and back_log["msg"].count(BACKUP_TIME) == 1
    naps_after = time.monotonic() + 12  # two more naps of the scheduler: it must not run
    served = 0
    while time.monotonic() < naps_after:
        assert health(public)[0] == "pass"
        served += 1
        time.sleep(0.5)
    assert len(backups(admin)) == 1, backups(admin)
    status2, uptime2 = health(public)
    assert status2 == "pass" and uptime2 >= uptime1, (uptime1, uptime2)
    last = vigia.log_records()[-1]
    assert abs((datetime.fromisoformat(last["ts"]) - wall_clock.now()).total_seconds()) < 60

    # Tokens from before and after the steps still work (one was "issued" 3 h ahead of
    # the clock now), logging in works, and the rate limit still counts a minute.
    assert as_user(vigia, token_before) == 200
    assert as_user(vigia, token_after) == 200, "a token issued before the clock went back"
    user = vigia.client(token=login(public))
    answers = [user.get("/api/v1/products") for _ in range(RATE_LIMIT + 1)]
    limited = [a for a in answers if a.status_code == 429]
    assert [a.status_code for a in answers if a.status_code != 429] == [200] * (
        len(answers) - len(limited)
    )
    assert limited, "the rate limit stopped counting after the clock steps"
    assert 1 <= int(limited[0].headers["retry-after"]) <= 60, limited[0].headers
    assert "Traceback" not in vigia.stderr()

    row.sees(f"log {forward_log['level']}: {forward_log['msg']}")
    row.sees(f"log {back_log['level']}: {back_log['msg']}")
    row.sees(f"/readyz status {status2} throughout, uptime {uptime0:.0f} s -> {uptime2:.0f} s")
    row.recovery_is(
        f"nothing to recover: served throughout ({served} health checks after the step "
        f"back all pass); the missed daily backup was made {backup_s:.1f} s after the step "
        "forward"
    )
    row.lost(
        "nothing: 1 scheduled backup for one crossing of the backup time (not repeated "
        "after the step back); tokens issued before and after both steps accepted; rate "
        f"limit still {RATE_LIMIT}/min with Retry-After {limited[0].headers['retry-after']} s"
    )
