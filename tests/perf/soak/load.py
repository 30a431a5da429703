"""One segment of load: ``wrk`` with ``wrk/soak.lua``, and what the script counted.

wrk reports latency only for a whole run, so the soak runs consecutive segments (one a
minute by default) to get p99 per minute. The wrk run itself (argv, CPU accounting, the
parse of wrk's summary) is ``bench_wrk.run_wrk_script``, shared with the benchmark.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench_servers import Server
from bench_wrk import WRK_DIR, WrkResult, run_wrk_script

SCRIPT = WRK_DIR / "soak.lua"


@dataclass(frozen=True)
class Workload:
    """What soak.lua needs besides the server's token: what exists, the share of writes."""

    product_ids: list[int]
    customer_ids: list[int]
    write_percent: int
    connections: int
    threads: int
    wrk: str


@dataclass
class Counted:
    """What soak.lua wrote at the end of a run."""

    statuses: Counter[int] = field(default_factory=Counter)
    # order id -> {product id: quantity}, from each 201 body
    acked: dict[int, dict[int, int]] = field(default_factory=dict)
    unparsed: int = 0


@dataclass
class Segment:
    index: int  # 1-based
    wrk: WrkResult
    counted: Counted
    rss_end: int  # bytes, the last sample of the segment
    rss_max: int

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.counted.statuses.items() if status >= 500)

    @property
    def client_errors(self) -> int:
        return sum(n for status, n in self.counted.statuses.items() if 400 <= status < 500)


def parse_counted(path: Path) -> Counted:
    counted = Counted()
    for line in path.read_text("utf-8").splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "status":
            status, n = rest.split()
            counted.statuses[int(status)] += int(n)
        elif kind == "ack":
            order_id, _, items = rest.partition(" ")
            lines: dict[int, int] = {}
            for item in filter(None, items.split(",")):
                product_id, quantity = item.split(":")
                lines[int(product_id)] = int(quantity)
            counted.acked[int(order_id)] = lines
        elif kind == "unparsed":
            counted.unparsed += int(rest)
        else:
            raise ValueError(f"{path}: unexpected line {line!r}")
    return counted


def run_segment(
    server: Server, work: Workload, seconds: float, out: Path
) -> tuple[WrkResult, Counted]:
    """Drive ``server`` for ``seconds``; return wrk's summary and the script's counts."""
    result = run_wrk_script(
        server,
        SCRIPT,
        [
            server.token,
            ",".join(map(str, work.product_ids)),
            ",".join(map(str, work.customer_ids)),
            str(work.write_percent),
            str(out),
        ],
        threads=work.threads,
        connections=work.connections,
        duration=seconds,
        wrk=work.wrk,
    )
    if not out.exists():
        raise RuntimeError(f"soak.lua wrote no {out}; wrk said:\n{result.raw}")
    return result, parse_counted(out)
