"""Driving a server with ``wrk`` and accounting for the CPU it and everyone else used."""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench_servers import Server

WRK_DIR = Path(__file__).resolve().parent / "wrk"

# endpoint key -> (label in the report, wrk script)
ENDPOINTS = {
    "livez": ("GET /livez", "livez.lua"),
    "product": ("GET /api/v1/products/{id} (JWT)", "get_product.lua"),
    "order": ("POST /api/v1/orders (JWT)", "post_order.lua"),
}


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int
    socket_errors: int
    raw: str
    server_cpu_ms_per_req: float = float("nan")  # CPU time of the server process / requests
    db_cpu_ms_per_req: float = float("nan")  # CPU of the database server's backends / requests
    foreign_cpu_pct: float = float("nan")  # machine CPU used by neither server nor wrk

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + self.socket_errors


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if not match:
        raise ValueError(f"unparsable wrk latency {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(out: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    total = re.search(r"(\d+) requests in", out)
    if not (rps and p50 and p99 and total):
        raise RuntimeError(f"could not parse wrk output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        rps=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        requests=int(total.group(1)),
        non_2xx_3xx=int(non2xx.group(1)) if non2xx else 0,
        socket_errors=sum(int(x) for x in sock.groups()) if sock else 0,
        raw=out,
    )


CLK_TCK = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1


def machine_busy_s() -> float:
    """CPU-seconds the whole machine spent not idle since boot (all cores)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK


def process_cpu_s(pid: int) -> float:
    """utime + stime of one process (all its threads), in seconds."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children_cpu_s() -> float:
    """CPU time of reaped children (here: the wrk runs)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def foreign_cpu_pct(seconds: float = 1.0, ours: list[Server] | None = None) -> float:
    """Share of the machine's CPU used by other processes over ``seconds``."""
    pids = [s.proc.pid for s in (ours or []) if s.proc is not None]
    t0, busy0, own0 = time.monotonic(), machine_busy_s(), sum(map(process_cpu_s, pids))
    time.sleep(seconds)
    elapsed = time.monotonic() - t0
    busy = machine_busy_s() - busy0 - (sum(map(process_cpu_s, pids)) - own0)
    return max(0.0, 100.0 * busy / (elapsed * NCPU))


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def wait_for_quiet(max_wait: float, threshold: float, ours: list[Server]) -> float:
    """Wait (at most ``max_wait`` s) until other processes use < ``threshold`` % CPU."""
    deadline = time.monotonic() + max_wait
    while True:
        pct = foreign_cpu_pct(1.0, ours)
        if pct < threshold or time.monotonic() >= deadline:
            return pct
        say(f"  machine busy ({pct:.0f}% CPU used by other processes); waiting...")


def run_wrk(
    server: Server,
    endpoint: str,
    args: argparse.Namespace,
    duration: float | None = None,
    db_pids: Callable[[], list[int]] | None = None,
) -> WrkResult:
    """One wrk run; ``db_pids`` lists the database server's processes that work for it."""
    script_args: list[str] = []
    if endpoint == "product":
        script_args = [server.token, ",".join(map(str, server.product_ids))]
    elif endpoint == "order":
        script_args = [server.token, server.order_body()]
    return run_wrk_script(
        server,
        WRK_DIR / ENDPOINTS[endpoint][1],
        script_args,
        threads=args.threads,
        connections=args.connections,
        duration=duration or args.duration,
        wrk=args.wrk,
        db_pids=db_pids,
    )


def run_wrk_script(
    server: Server,
    script: Path,
    script_args: list[str],
    *,
    threads: int,
    connections: int,
    duration: float,
    wrk: str,
    db_pids: Callable[[], list[int]] | None = None,
) -> WrkResult:
    """One wrk run of any script (its arguments go after ``--``), with the CPU accounting.

    ``run_wrk`` uses it for the benchmark's endpoints; the soak test for its mixed script.
    """
    server.check_alive()
    argv = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{int(duration)}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        server.base,
    ]
    if script_args:
        argv += ["--", *script_args]
    assert server.proc is not None
    db0 = {pid: process_cpu_s(pid) for pid in db_pids()} if db_pids else {}
    t0, busy0 = time.monotonic(), machine_busy_s()
    srv0, wrk0 = process_cpu_s(server.proc.pid), children_cpu_s()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, check=False)
    elapsed = time.monotonic() - t0
    srv = process_cpu_s(server.proc.pid) - srv0
    wrk_cpu = children_cpu_s() - wrk0
    busy = machine_busy_s() - busy0
    # Backends that connected during the run count from zero (their whole life was in it).
    db_cpu = sum(process_cpu_s(pid) - db0.get(pid, 0.0) for pid in db_pids()) if db_pids else 0.0
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}{done.stdout}")
    result = parse_wrk(done.stdout)
    if result.requests:
        result.server_cpu_ms_per_req = 1000.0 * srv / result.requests
        if db_pids:
            result.db_cpu_ms_per_req = 1000.0 * db_cpu / result.requests
    foreign = busy - srv - wrk_cpu - db_cpu
    result.foreign_cpu_pct = max(0.0, 100.0 * foreign / (elapsed * NCPU))
    server.check_alive()
    return result
