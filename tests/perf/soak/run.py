"""The soak itself: start `vigia serve`, seed it, load it segment by segment, stop, check.

The server is launched the way the benchmark launches it (``bench_servers.start_vigia``):
default settings, a temp ``VIGIA_HOME``, port 0, the admin token and secret key, and
``VIGIA_RATE_LIMIT_PER_MINUTE=100000000`` because every request comes from one user (the
default 100 per user per minute would refuse almost all of them; a huge limit keeps the
limiter counting every request). Everything else, every protection included, is on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench_servers import STOCK, Server, expect, http, seed_vigia, start_vigia, wait_ready
from bench_wrk import say

from tests.embedded_backend.api.support import new_cpf

from .load import Counted, Segment, Workload, run_segment
from .rss import RssSampler
from .verify import Verdict, verify


@dataclass(frozen=True)
class SoakConfig:
    segments: int = 10
    segment_s: float = 60.0
    connections: int = 64
    threads: int = 2
    write_percent: int = 30
    customers: int = 20
    wrk: str = field(default_factory=lambda: shutil.which("wrk") or "/usr/bin/wrk")


@dataclass
class SoakResult:
    config: SoakConfig
    started: dt.datetime
    rss_before: int = 0  # bytes, after seeding, before the first segment
    segments: list[Segment] = field(default_factory=list)
    verdict: Verdict | None = None
    exit_code: int | None = None  # of `vigia serve` after SIGTERM
    error_records: list[str] = field(default_factory=list)  # from backend.jsonl
    duplicate_acks: int = 0  # an order id acknowledged twice (must never happen)

    @property
    def requests(self) -> int:
        return sum(s.wrk.requests for s in self.segments)

    @property
    def statuses(self) -> Counter[int]:
        return sum((s.counted.statuses for s in self.segments), Counter())

    @property
    def server_errors(self) -> int:
        return sum(s.server_errors for s in self.segments)

    @property
    def client_errors(self) -> int:
        return sum(s.client_errors for s in self.segments)

    @property
    def socket_errors(self) -> int:
        return sum(s.wrk.socket_errors for s in self.segments)

    @property
    def unparsed(self) -> int:
        return sum(s.counted.unparsed for s in self.segments)

    @property
    def rss_growth(self) -> float | None:
        """RSS at the end of the last segment relative to the end of the first (warm-up)."""
        if len(self.segments) < 2 or not self.segments[0].rss_end:
            return None
        return self.segments[-1].rss_end / self.segments[0].rss_end - 1.0


def seed(server: Server, customers: int) -> list[int]:
    """The benchmark's data (one staff user, a customer, 20 products with a stock of 10⁹),
    plus more customers so customer reads and orders spread over several rows."""
    seed_vigia(server)
    ids = [server.customer_id]
    rng = random.Random(7)
    cpfs: set[str] = set()
    while len(cpfs) < customers - 1:
        cpf = new_cpf(rng)
        if cpf != "52998224725":  # the benchmark customer's
            cpfs.add(cpf)
    for n, cpf in enumerate(sorted(cpfs), start=2):
        body = expect(
            *http(
                "POST",
                server.base + "/api/v1/customers",
                token=server.token,
                json_body={"name": f"Cliente Soak {n}", "document": cpf},
            ),
            201,
            "create customer",
        )
        ids.append(int(body["id"]))
    return ids


def _error_records(log: Path) -> list[str]:
    """The messages of the ERROR and CRITICAL records in the server's JSON log."""
    if not log.exists():
        return []
    found = []
    with log.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if record.get("level") in ("ERROR", "CRITICAL"):
                    found.append(f"{record.get('logger')}: {record.get('msg')}")
    return found


def run_soak(config: SoakConfig, workdir: Path, log: Callable[[str], None] = say) -> SoakResult:
    """Run the whole soak in ``workdir`` (the server's home and wrk's outputs go there)."""
    result = SoakResult(config, dt.datetime.now().astimezone())
    server = start_vigia("soak", workdir)
    home = workdir / "soak"
    acked: dict[int, dict[int, int]] = {}
    try:
        wait_ready(server)
        customer_ids = seed(server, config.customers)
        work = Workload(
            product_ids=list(server.product_ids),
            customer_ids=customer_ids,
            write_percent=config.write_percent,
            connections=config.connections,
            threads=config.threads,
            wrk=config.wrk,
        )
        assert server.proc is not None
        sampler = RssSampler(server.proc.pid).start()
        result.rss_before = sampler.sample()
        try:
            for index in range(1, config.segments + 1):
                t0 = time.monotonic()
                wrk, counted = run_segment(
                    server, work, config.segment_s, workdir / f"segment-{index}.txt"
                )
                t1 = time.monotonic()
                rss_end = sampler.sample()
                rss_max = max([*sampler.between(t0, t1), rss_end])
                segment = Segment(index, wrk, counted, rss_end, rss_max)
                result.segments.append(segment)
                result.duplicate_acks += _merge(acked, counted)
                log(
                    f"  segment {index}/{config.segments}: {wrk.requests} requests, "
                    f"{wrk.rps:.0f} req/s, p50 {wrk.p50_ms:.1f} ms, p99 {wrk.p99_ms:.1f} ms, "
                    f"5xx {segment.server_errors}, 4xx {segment.client_errors}, "
                    f"socket errors {wrk.socket_errors}, RSS {rss_end / 2**20:.1f} MiB, "
                    f"others {wrk.foreign_cpu_pct:.0f}% CPU"
                )
        finally:
            sampler.stop()
    finally:
        proc = server.proc
        server.stop()
        result.exit_code = proc.returncode if proc is not None else None
    result.error_records = _error_records(home / "logs" / "backend.jsonl")
    result.verdict = verify(home / "vigia.db", acked, dict.fromkeys(server.product_ids, STOCK))
    return result


def _merge(acked: dict[int, dict[int, int]], counted: Counted) -> int:
    duplicates = sum(1 for order_id in counted.acked if order_id in acked)
    acked.update(counted.acked)
    return duplicates
