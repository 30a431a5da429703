"""The Markdown report: machine, comparison table, FULL vs NORMAL, startup, every run."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
import os
import platform
import shutil
import statistics
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from bench_wrk import WrkResult

GOAL_READ_RATIO = 0.9
GOAL_ORDERS_RPS = 500.0
GOAL_STARTUP_S = 1.5

DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

# The rows of the comparison table, per database: (endpoint, Vigia server role, label).
# Every row is compared with the bare app ("bare") on the same endpoint and database.
ROWS: tuple[tuple[str, str, str], ...] = (
    ("livez", "vigia", "`GET /livez`"),
    ("product", "vigia", "`GET /api/v1/products/{id}` (JWT), Vigia cache on (default)"),
    (
        "product",
        "vigia-nocache",
        "`GET /api/v1/products/{id}` (JWT), Vigia cache off (`VIGIA_CACHE_TTL_S=0`)",
    ),
    ("order", "vigia", "`POST /api/v1/orders` (JWT)"),
)

# (database, server role, endpoint) -> one result per round
Results = dict[tuple[str, str, str], list[WrkResult]]


@dataclass
class Measurements:
    results: Results = field(default_factory=dict)
    sync: dict[str, list[WrkResult]] = field(default_factory=lambda: {"FULL": [], "NORMAL": []})
    startups: list[float] = field(default_factory=list)
    postgresql_version: str | None = None

    def everything(self) -> list[WrkResult]:
        runs = [r for rs in self.results.values() for r in rs]
        return runs + [r for rs in self.sync.values() for r in rs]


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def fmt_rps(v: float) -> str:
    return f"{v:,.0f}"


def fmt_ms(v: float) -> str:
    return f"{v:.2f} ms" if v < 100 else f"{v:.0f} ms"


def met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _ver(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info(postgresql_version: str | None) -> list[str]:
    mem_kb = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    wrk_version = subprocess.run(
        [shutil.which("wrk") or "wrk", "-v"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    dists = ["fastapi", "uvicorn", "starlette", "sqlalchemy", "pydantic", "uvloop", "httptools"]
    dists += ["pyjwt", "prometheus-client", "asgi-correlation-id"]
    lines = [
        f"- date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: `nproc` = {nproc}, memory {mem_kb / 1024 / 1024:.1f} GiB, CPU {cpu or '?'}, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; " + ", ".join(f"{d} {_ver(d)}" for d in dists),
    ]
    if postgresql_version:
        lines.append(
            f"- PostgreSQL {postgresql_version} on 127.0.0.1 (same machine), psycopg "
            f"{_ver('psycopg')}"
        )
    lines += [
        f"- load generator: {wrk_version[0] if wrk_version else 'wrk ?'}",
        f"- load average at report time: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        + (
            "; PYTHONDONTWRITEBYTECODE is set (Vigia's own modules are compiled at every start)"
            if os.environ.get("PYTHONDONTWRITEBYTECODE")
            else ""
        ),
    ]
    return lines


def _goal(database: str, endpoint: str, vigia_rps: float, ratio: float) -> str:
    if endpoint != "order":
        return f"ratio ≥ {GOAL_READ_RATIO}: {met(ratio >= GOAL_READ_RATIO)}"
    if database == "sqlite":
        return f"Vigia ≥ {GOAL_ORDERS_RPS:.0f} req/s: {met(vigia_rps >= GOAL_ORDERS_RPS)}"
    return "none (the orders goal is for the default, SQLite)"


def _db_cpu(rs: list[WrkResult]) -> str:
    """CPU of the PostgreSQL backends; SQLite works inside the server process."""
    value = mean([r.db_cpu_ms_per_req for r in rs])
    return "in server" if math.isnan(value) else fmt_cpu(value)


def comparison_table(m: Measurements) -> list[str]:
    out = [
        "| database | endpoint | Vigia req/s | bare req/s | ratio | Vigia p50 | Vigia p99 "
        "| bare p50 | bare p99 | server CPU ms/req (Vigia / bare) "
        "| database CPU ms/req (Vigia / bare) | errors (Vigia / bare) | goal |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for database, db_label in DATABASES.items():
        if database == "postgresql" and m.postgresql_version:
            db_label = f"PostgreSQL {m.postgresql_version.split()[0]}"
        for endpoint, role, label in ROWS:
            v = m.results.get((database, role, endpoint), [])
            b = m.results.get((database, "bare", endpoint), [])
            if not v or not b:
                continue
            v_rps, b_rps = mean([r.rps for r in v]), mean([r.rps for r in b])
            ratio = v_rps / b_rps if b_rps else float("nan")
            out.append(
                f"| {db_label} | {label} | {fmt_rps(v_rps)} | {fmt_rps(b_rps)} | {ratio:.2f} "
                f"| {fmt_ms(mean([r.p50_ms for r in v]))} "
                f"| {fmt_ms(mean([r.p99_ms for r in v]))} "
                f"| {fmt_ms(mean([r.p50_ms for r in b]))} "
                f"| {fmt_ms(mean([r.p99_ms for r in b]))} "
                f"| {fmt_cpu(mean([r.server_cpu_ms_per_req for r in v]))} / "
                f"{fmt_cpu(mean([r.server_cpu_ms_per_req for r in b]))} "
                f"| {_db_cpu(v)} / {_db_cpu(b)} "
                f"| {sum(r.errors for r in v)} / {sum(r.errors for r in b)} "
                f"| {_goal(database, endpoint, v_rps, ratio)} |"
            )
    return out


def sync_table(m: Measurements) -> list[str]:
    out = [
        "| Vigia `POST /api/v1/orders` with `VIGIA_SQLITE_SYNCHRONOUS` | req/s | p50 "
        "| p99 | server CPU ms/req | errors | goal ≥ 500 req/s (applies to the "
        "default, FULL) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for mode, rs in m.sync.items():
        if not rs:
            continue
        rps = mean([r.rps for r in rs])
        default = " (default)" if mode == "FULL" else ""
        out.append(
            f"| `{mode}`{default} | {fmt_rps(rps)} | "
            f"{fmt_ms(mean([r.p50_ms for r in rs]))} | "
            f"{fmt_ms(mean([r.p99_ms for r in rs]))} | "
            f"{fmt_cpu(mean([r.server_cpu_ms_per_req for r in rs]))} | "
            f"{sum(r.errors for r in rs)} | {met(rps >= GOAL_ORDERS_RPS)} |"
        )
    return out


def startup_table(startups: list[float]) -> list[str]:
    med = statistics.median(startups)
    return [
        f"| `vigia serve` launch → first `/readyz` 200 | median of {len(startups)} "
        "fresh starts (fresh VIGIA_HOME each) | every start | goal |",
        "|---|---:|---|---|",
        f"| startup | {med:.2f} s | {', '.join(f'{t:.2f}' for t in startups)} s "
        f"| ≤ {GOAL_STARTUP_S} s: {met(med <= GOAL_STARTUP_S)} |",
    ]


def fmt_cpu(v: float) -> str:
    """CPU ms per request: three decimals below 1 ms, where /livez lives."""
    return f"{v:.3f}" if v < 1 else f"{v:.2f}"


def _cells(rs: list[WrkResult]) -> str:
    return "; ".join(
        f"{r.rps:.0f} ({r.p50_ms:.2f} / {r.p99_ms:.2f} ms, {r.errors} err, "
        f"{fmt_cpu(r.server_cpu_ms_per_req)} ms/req"
        + ("" if math.isnan(r.db_cpu_ms_per_req) else f" + database {fmt_cpu(r.db_cpu_ms_per_req)}")
        + f", others {r.foreign_cpu_pct:.0f}%)"
        for r in rs
    )


def per_run(m: Measurements) -> list[str]:
    out = [
        "Per run: req/s (p50 / p99 ms; errors = non-2xx/3xx + socket errors; "
        "server CPU ms/req; CPU share of the machine used by other processes):",
        "",
    ]
    for (database, role, endpoint), rs in m.results.items():
        out.append(f"- {database} {role} {endpoint}: {_cells(rs)}")
    for mode, rs in m.sync.items():
        if rs:
            out.append(f"- sqlite vigia order synchronous={mode}: {_cells(rs)}")
    return out


def flags(m: Measurements, quiet_threshold: float) -> list[str]:
    everything = m.everything()
    errors = sum(r.errors for r in everything)
    noisy = [r for r in everything if r.foreign_cpu_pct >= quiet_threshold]
    out = []
    if errors:
        out.append(
            f"**FLAGGED: {errors} non-2xx/3xx responses or socket errors; the req/s of "
            "the runs that had them are not comparable.**"
        )
    else:
        out.append("No non-2xx/3xx responses and no socket errors in any run.")
    if noisy:
        worst = max(r.foreign_cpu_pct for r in noisy)
        out.append(
            f"**FLAGGED: {len(noisy)} of {len(everything)} runs shared the machine with "
            f"other busy processes (up to {worst:.0f}% of its CPU); absolute req/s are "
            "low for those, the ratio and CPU ms/req are more trustworthy.**"
        )
    elif everything:
        out.append(
            f"The machine was otherwise idle (< {quiet_threshold:.0f}% CPU used by "
            "other processes) during every run."
        )
    return out


def render(args: argparse.Namespace, m: Measurements) -> str:
    out = [
        f"### Vigia vs bare FastAPI: wrk -t{args.threads} -c{args.connections} "
        f"-d{int(args.duration)}s --latency, {args.rounds} alternating round(s), "
        "mean of rounds",
        "",
        *machine_info(m.postgresql_version),
        "",
    ]
    if m.results:
        out += [*comparison_table(m), ""]
    if any(m.sync.values()):
        out += [*sync_table(m), ""]
    if m.startups:
        out += [*startup_table(m.startups), ""]
    out += [*per_run(m), "", *flags(m, args.quiet_threshold)]
    return "\n".join(out)
