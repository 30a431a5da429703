"""Benchmark: Vigia (`vigia serve`) against a bare FastAPI app doing the same work.

One command (from the repository root)::

    .venv/bin/python tests/perf/bench_backend.py [--duration 10] [--connections 32] [--rounds 2]

It starts the servers as subprocesses on loopback (each with its own temp directory),
seeds them with the same data, drives them alternately with ``wrk`` and prints a Markdown
table plus the machine it ran on. The same rows are measured on SQLite (the default) and
on PostgreSQL (scratch databases on 127.0.0.1:5432, dropped at the end); on each, the
bare app runs on the same database as the Vigia servers it is compared with. Goals from
issues 2 and 3 are printed next to the measured values as met / not met; nothing is
adjusted. See tests/perf/README.md.

Vigia runs with the settings a user gets by default; only the secrets
(``VIGIA_ADMIN_TOKEN``, ``VIGIA_SECRET_KEY``), ``VIGIA_HOME`` (a temp dir) and
``VIGIA_PORT=0`` are set, plus what a row measures (``VIGIA_DATABASE_URL`` for
PostgreSQL, ``VIGIA_CACHE_TTL_S=0`` for the uncached read, ``VIGIA_SQLITE_SYNCHRONOUS``
for FULL vs NORMAL), and ``VIGIA_RATE_LIMIT_PER_MINUTE=100000000``: the per-user rate
limit (100/min by default) would otherwise answer 429 to all but the first 100 requests
of the single benchmark user; a huge limit keeps the limiter in the stack, counting every
request. ``PYTHON_KEYRING_BACKEND`` points at keyring's "fail" backend so a run never
writes into the desktop keyring of whoever runs it.

The sibling modules (``bench_servers``, ``bench_wrk``, ``bench_report``, ``bench_pg``)
are imported from this script's directory, which Python puts first on ``sys.path``.
"""

from __future__ import annotations

import argparse
import math
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import psycopg
from bench_pg import DEFAULT_ADMIN_URL, ScratchDatabases
from bench_report import DATABASES, Measurements, render
from bench_servers import (
    LIVE,
    Server,
    seed_vigia,
    smoke,
    start_bare,
    start_vigia,
    wait_ready,
)
from bench_wrk import ENDPOINTS, WrkResult, run_wrk, say, wait_for_quiet

EXTRAS = ("sync", "startup")
PARTS = (*ENDPOINTS, *DATABASES, *EXTRAS)
NO_CACHE = {"VIGIA_CACHE_TTL_S": "0"}


# ---------------------------------------------------------------------------------
# one database: Vigia (cache on), Vigia (cache off), bare; alternating wrk runs
# ---------------------------------------------------------------------------------
def roles_for(endpoint: str) -> tuple[str, ...]:
    """The servers driven for one endpoint, in the order they alternate."""
    return ("vigia", "vigia-nocache", "bare") if endpoint == "product" else ("vigia", "bare")


def measure_database(
    database: str,
    endpoints: list[str],
    workdir: Path,
    args: argparse.Namespace,
    m: Measurements,
    scratch: ScratchDatabases | None = None,
) -> None:
    def url_for(name: str) -> str:
        if scratch is None:
            return f"sqlite:///{workdir / (name + '.db')}"
        return scratch.create(name)

    roles = {role for endpoint in endpoints for role in roles_for(endpoint)}
    servers: dict[str, Server] = {}
    prefix = "" if database == "sqlite" else "pg-"
    for role in ("vigia", "vigia-nocache"):
        if role in roles:
            settings = dict(NO_CACHE) if role == "vigia-nocache" else {}
            if scratch is not None:
                settings["VIGIA_DATABASE_URL"] = url_for(prefix + role)
            servers[role] = start_vigia(prefix + role, workdir, settings)
    servers["bare"] = start_bare(prefix + "bare", workdir, url_for(prefix + "bare"))
    for server in servers.values():
        wait_ready(server)
    for role, server in servers.items():
        if role != "bare":
            seed_vigia(server)
        smoke(server)
    ours = list(servers.values())
    db_pids = scratch.backend_pids if scratch is not None else None
    if args.warmup > 0:
        say(f"{database}: warm-up...")
        for endpoint in endpoints:
            for role in roles_for(endpoint):
                run_wrk(servers[role], endpoint, args, duration=args.warmup, db_pids=db_pids)
    for rnd in range(args.rounds):
        for endpoint in endpoints:
            for role in roles_for(endpoint):
                wait_for_quiet(args.max_wait, args.quiet_threshold, ours)
                r = run_wrk(servers[role], endpoint, args, db_pids=db_pids)
                m.results.setdefault((database, role, endpoint), []).append(r)
                say(
                    f"  {database} round {rnd + 1} {role:13} {endpoint:7} {r.rps:9.1f} req/s "
                    f"p50 {r.p50_ms:7.2f} ms p99 {r.p99_ms:8.2f} ms errors {r.errors} "
                    f"cpu {r.server_cpu_ms_per_req:.3f} ms/req{_db_cpu(r)}, "
                    f"others {r.foreign_cpu_pct:.0f}%"
                )
    for server in ours:
        server.stop()


def _db_cpu(r: WrkResult) -> str:
    return "" if math.isnan(r.db_cpu_ms_per_req) else f" (+ database {r.db_cpu_ms_per_req:.3f})"


def measure_sync(workdir: Path, args: argparse.Namespace, m: Measurements) -> None:
    say("synchronous FULL vs NORMAL (fresh Vigia instances, orders only)...")
    full = start_vigia("vigia-full", workdir)
    normal = start_vigia("vigia-normal", workdir, {"VIGIA_SQLITE_SYNCHRONOUS": "NORMAL"})
    for server in (full, normal):
        wait_ready(server)
        seed_vigia(server)
        smoke(server)
        if args.warmup > 0:
            run_wrk(server, "order", args, duration=args.warmup)
    for rnd in range(args.rounds):
        for mode, server in (("FULL", full), ("NORMAL", normal)):
            wait_for_quiet(args.max_wait, args.quiet_threshold, [full, normal])
            r = run_wrk(server, "order", args)
            m.sync[mode].append(r)
            say(
                f"  round {rnd + 1} {mode:6} {r.rps:9.1f} req/s p50 {r.p50_ms:7.2f} ms "
                f"p99 {r.p99_ms:8.2f} ms errors {r.errors} "
                f"cpu {r.server_cpu_ms_per_req:.2f} ms/req, others {r.foreign_cpu_pct:.0f}%"
            )
    full.stop()
    normal.stop()


def measure_startups(workdir: Path, args: argparse.Namespace, m: Measurements) -> None:
    say(f"timing {args.starts} fresh starts of `vigia serve` to /readyz 200...")
    for i in range(args.starts):
        wait_for_quiet(args.max_wait, args.quiet_threshold, [])
        server = start_vigia(f"startup-{i}", workdir)
        try:
            m.startups.append(wait_ready(server, poll=0.002))
        finally:
            server.stop()
        say(f"  start {i + 1}/{args.starts}: {m.startups[-1]:.3f} s")


# ---------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--duration", type=float, default=10, help="seconds per wrk run (default 10)")
    p.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument(
        "--rounds", type=int, default=2, help="alternations vigia/bare per endpoint (default 2)"
    )
    p.add_argument(
        "--warmup",
        type=float,
        default=2,
        help="seconds of wrk warm-up per server and endpoint, not counted (default 2; 0 = none)",
    )
    p.add_argument(
        "--starts",
        type=int,
        default=5,
        help="fresh `vigia serve` starts timed to /readyz 200 (default 5)",
    )
    p.add_argument(
        "--only",
        default="",
        help="run only these parts, comma-separated: endpoints "
        f"({', '.join(ENDPOINTS)}), databases ({', '.join(DATABASES)}) and the extras "
        f"({', '.join(EXTRAS)}). Endpoints and databases narrow the comparison table (an "
        "unnamed kind means all of it); extras run only when named. Default: everything",
    )
    p.add_argument("--skip-startup", action="store_true", help="do not time startups")
    p.add_argument("--skip-sync", action="store_true", help="do not compare FULL vs NORMAL")
    p.add_argument(
        "--skip-postgresql", action="store_true", help="no PostgreSQL rows (SQLite only)"
    )
    p.add_argument(
        "--postgresql",
        default=DEFAULT_ADMIN_URL,
        metavar="URL",
        help="a PostgreSQL URL whose role may create databases; scratch databases "
        "vigia_bench_<random>_* are made there and dropped at the end "
        f"(default {DEFAULT_ADMIN_URL})",
    )
    p.add_argument(
        "--quiet-threshold",
        type=float,
        default=10.0,
        help="before each measured run, wait until other processes use less than "
        "this %% of the machine's CPU (default 10); runs above it are flagged",
    )
    p.add_argument(
        "--max-wait",
        type=float,
        default=60.0,
        help="longest wait for a quiet machine before each run, seconds (default 60)",
    )
    p.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    p.add_argument("--keep", action="store_true", help="keep the temp directory (logs, DBs)")
    args = p.parse_args(argv)
    if not Path(args.wrk).exists():
        p.error(f"wrk not found at {args.wrk}; install it with: sudo apt-get install wrk")
    only = {part.strip() for part in args.only.split(",") if part.strip()}
    if unknown := only - set(PARTS):
        p.error(f"--only: unknown part(s) {', '.join(sorted(unknown))}; pick from {PARTS}")
    endpoints = [e for e in ENDPOINTS if e in only] or list(ENDPOINTS)
    databases = [d for d in DATABASES if d in only] or list(DATABASES)
    table = not only or bool(only & {*ENDPOINTS, *DATABASES})
    args.endpoints = endpoints if table else []
    args.databases = [d for d in databases if not (d == "postgresql" and args.skip_postgresql)]
    runs_sqlite = "sqlite" in args.databases and args.endpoints
    runs_postgresql = "postgresql" in args.databases and set(args.endpoints) - {"livez"}
    if table and not (runs_sqlite or runs_postgresql):
        p.error("nothing to measure: livez runs on SQLite only, and no database is left")
    args.sync = not args.skip_sync and (not only or "sync" in only)
    args.startup = not args.skip_startup and (not only or "startup" in only)
    return args


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="vigia-bench-"))
    # A SIGTERM to the benchmark still runs the finally block below.
    signal.signal(signal.SIGTERM, _interrupt)
    m = Measurements()
    scratch: ScratchDatabases | None = None
    # livez touches no database: it is measured on SQLite only.
    pg_endpoints = [e for e in args.endpoints if e != "livez"]
    try:
        say(f"work dir {workdir}")
        if "postgresql" in args.databases and pg_endpoints:
            scratch = ScratchDatabases(args.postgresql)
            try:
                m.postgresql_version = scratch.server_version()
            except psycopg.Error as exc:
                raise SystemExit(
                    f"PostgreSQL at {args.postgresql} is not reachable ({exc}); start it, "
                    "pass --postgresql URL, or run with --skip-postgresql"
                ) from None
        if "sqlite" in args.databases and args.endpoints:
            measure_database("sqlite", args.endpoints, workdir, args, m)
        if scratch is not None:
            say(f"PostgreSQL {m.postgresql_version}: scratch databases {scratch.prefix}_*")
            measure_database("postgresql", pg_endpoints, workdir, args, m, scratch)
        if args.sync:
            measure_sync(workdir, args, m)
        if args.startup:
            measure_startups(workdir, args, m)
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        for server in LIVE:
            server.stop()
        if scratch is not None:
            for failure in scratch.drop_all():
                say(f"could not drop scratch database {failure}")
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print(render(args, m), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
