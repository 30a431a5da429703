"""Benchmark of issue 5: the tray's idle cost, crash recovery, database outage, latency
graph and log viewer, with supervisord as the comparison anchor, in one run.

One command (from the repository root)::

    .venv/bin/python tests/perf/bench_tray.py [--idle 60] [--reps 10] [--only PARTS]

It prints progress on stderr and a Markdown table on stdout: the machine, the date, each
measurement with its median and max, the goal from issue 5 and whether it was met (judged
on every run, nothing adjusted), and the load average and other processes' CPU while it
ran. Parts (``--only`` takes a comma list; default all):

- ``launch``: ``vigia tray`` on a real virtual desktop (Xvfb + trayer + dunst + D-Bus, the
  e2e harness): launch → ``/readyz`` 200, then the idle cost (CPU, RSS) with the
  dashboard closed (bench_tray_launch.py).
- ``recovery``: in this process, the real Supervisor + ServerRunner (SQLite): backend
  thread crash → ``failed`` and → ``running``, ``Supervisor.restart()`` (what the tray's
  Restart does) → ``running``, alternating with the anchor, supervisord restarting a
  ``kill -9``-ed bare uvicorn app (bench_tray_recovery.py, bench_tray_anchor.py).
- ``outage``: the embedded backend on a scratch PostgreSQL database behind the project's
  TCP proxy; the proxy is paused, and the time until the tray shows failed is taken
  (bench_tray_outage.py). Needs PostgreSQL (``--postgresql URL``; ``--skip-postgresql``).
- ``graph``: the dashboard's latency graph with 86,400 points per line, offscreen
  (bench_tray_graph.py).
- ``logs``: the log viewer on a 100 MB log, with bench_log_viewer.py's own measurement.

The in-process Qt parts (graph, log viewer) run with ``QT_QPA_PLATFORM=offscreen``; the
tray itself runs on the virtual X display. Every process started here is stopped and the
scratch database dropped at the end, also after Ctrl+C or a failure. See
tests/perf/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))  # tests.*, desktop.*, embedded_backend.* (HERE is already first)
for _name in [k for k in os.environ if k.startswith("VIGIA_")]:
    del os.environ[_name]  # the in-process backends take only the settings given here
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
os.environ["QT_QPA_PLATFORM"] = "offscreen"  # this process's Qt; not the tray's

import psycopg  # noqa: E402
from bench_pg import DEFAULT_ADMIN_URL, ScratchDatabases  # noqa: E402
from bench_tray_anchor import Supervisord  # noqa: E402
from bench_tray_graph import GraphCase  # noqa: E402
from bench_tray_launch import run_launches  # noqa: E402
from bench_tray_machine import Busy  # noqa: E402
from bench_tray_recovery import Recovery, bench_settings  # noqa: E402
from bench_tray_report import Results, render  # noqa: E402
from bench_wrk import say  # noqa: E402

from embedded_backend.logs import configure_logging, shutdown_logging  # noqa: E402

PARTS = ("launch", "recovery", "outage", "graph", "logs")
GRAPH_CASES = [
    GraphCase(86_400, None, "drawn as the product does (decimated, 1 px pens when dense)"),
    GraphCase(1_440, None, "the product's 24 h view size"),
]


def measure_recovery(workdir: Path, args: argparse.Namespace, r: Results) -> None:
    say("recovery: starting the embedded backend and supervisord...")
    anchor = Supervisord(workdir)
    recovery = Recovery(workdir / "recovery-home")
    try:
        anchor.start()
        recovery.start()
        busy = Busy()
        for i in range(args.reps):
            time.sleep(0.5)
            to_failed, to_running = recovery.crash_once()
            r.crash_failed_s.append(to_failed)
            r.crash_running_s.append(to_running)
            time.sleep(0.5)
            # After a restart the failure count is 0 again, so every crash is the first
            # in a row: the restart policy retries at once (a second crash within 30 s
            # would wait 1 s, by design).
            r.restart_s.append(recovery.restart_once())
            r.anchor_s.append(anchor.kill_once())
            say(
                f"  {i + 1}/{args.reps}: crash → failed {to_failed:.3f} s, → running "
                f"{to_running:.3f} s; restart → running {r.restart_s[-1]:.3f} s; "
                f"supervisord → answers {r.anchor_s[-1]:.3f} s"
            )
        r.recovery_load = busy.done()
    finally:
        recovery.close()
        anchor.stop()


def measure_outage(workdir: Path, args: argparse.Namespace, r: Results) -> None:
    from bench_tray_outage import OutageBench

    from tests.helpers.tcp_proxy import tcp_proxy

    scratch = ScratchDatabases(args.postgresql)
    try:
        r.postgresql_version = scratch.server_version()
    except psycopg.Error as exc:
        raise SystemExit(
            f"PostgreSQL at {args.postgresql} is not reachable ({exc}); start it, pass "
            "--postgresql URL, or leave the outage out with --skip-postgresql"
        ) from None
    host, port = _host_port(args.postgresql)
    try:
        url = scratch.create("tray_outage")
        say(f"outage: PostgreSQL {r.postgresql_version}, scratch database {scratch.prefix}_*")
        with tcp_proxy(host, port) as proxy:
            bench = OutageBench(workdir / "outage-home", url, proxy)
            try:
                bench.start()
                busy = Busy()
                for i in range(args.outages):
                    outage = bench.outage_once()
                    r.outages.append(outage)
                    say(
                        f"  {i + 1}/{args.outages}: fail sample {outage.fail_sample_s:.3f} s, "
                        f"red {outage.red_s:.3f} s, degraded {outage.degraded_s:.3f} s; "
                        f"back to running {outage.recovered_s:.3f} s after the resume"
                    )
                r.outage_load = busy.done()
            finally:
                bench.close()
    finally:
        for failure in scratch.drop_all():
            say(f"could not drop scratch database {failure}")


def _host_port(url: str) -> tuple[str, int]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 5432


def measure_qt(workdir: Path, args: argparse.Namespace, r: Results) -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["bench_tray"])
    assert isinstance(app, QApplication)
    if "graph" in args.parts:
        from bench_tray_graph import bench_graph

        from tests.desktop.ui.contexts import ui_context

        say(f"graph: {args.graph_reps} repetitions of {len(GRAPH_CASES)} cases...")
        with ui_context(bench_settings(workdir / "graph-home")) as ctx:
            busy = Busy()
            r.graph = bench_graph(app, ctx, GRAPH_CASES, args.graph_reps)
            r.graph_load = busy.done()
    if "logs" in args.parts:
        from bench_log_viewer import bench_viewer, build_log

        settings = bench_settings(workdir / "logs-home")
        settings.paths.ensure()
        say(f"logs: building a {args.log_mb} MiB log...")
        r.log_lines = build_log(settings.paths.backend_log, args.log_mb)
        r.log_bytes = settings.paths.backend_log.stat().st_size
        say(f"logs: {args.log_runs} openings of the log viewer...")
        busy = Busy()
        r.log_viewer = bench_viewer(app, settings, args.log_runs)
        r.log_load = busy.done()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--only", default="", help=f"comma list of parts: {', '.join(PARTS)}")
    p.add_argument("--launches", type=int, default=3, help="fresh `vigia tray` launches (3)")
    p.add_argument("--idle", type=float, default=60, help="idle window, seconds (60)")
    p.add_argument(
        "--settle",
        type=float,
        default=10,
        help="seconds between `running` and the idle window (10)",
    )
    p.add_argument("--reps", type=int, default=10, help="crashes, restarts and kills (10 each)")
    p.add_argument("--outages", type=int, default=10, help="database outages (10)")
    p.add_argument("--graph-reps", type=int, default=5, help="graph redraws per case (5)")
    p.add_argument("--log-mb", type=int, default=100, help="size of the log, MiB (100)")
    p.add_argument("--log-runs", type=int, default=5, help="log viewer openings (5)")
    p.add_argument(
        "--postgresql",
        default=DEFAULT_ADMIN_URL,
        metavar="URL",
        help=f"PostgreSQL whose role may create databases (default {DEFAULT_ADMIN_URL})",
    )
    p.add_argument("--skip-postgresql", action="store_true", help="leave the outage out")
    p.add_argument("--keep", action="store_true", help="keep the temp directory (logs)")
    args = p.parse_args(argv)
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    if unknown := only - set(PARTS):
        p.error(f"--only: unknown part(s) {', '.join(sorted(unknown))}; pick from {PARTS}")
    args.parts = [x for x in PARTS if not only or x in only]
    if args.skip_postgresql and "outage" in args.parts:
        args.parts.remove("outage")
    return args


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="vigia-bench-tray-"))
    signal.signal(signal.SIGTERM, _interrupt)  # a SIGTERM still runs the finally blocks
    configure_logging(workdir / "bench-in-process.jsonl", "INFO", console=False)
    r = Results()
    try:
        say(f"work dir {workdir}; parts: {', '.join(args.parts)}")
        if "launch" in args.parts:
            say(f"launch: {args.launches} launches of `vigia tray`, idle {args.idle:g} s...")
            r.launches = run_launches(workdir, args.launches, args.idle, args.settle)
        if "recovery" in args.parts:
            measure_recovery(workdir, args, r)
        if "outage" in args.parts:
            measure_outage(workdir, args, r)
        if "graph" in args.parts or "logs" in args.parts:
            measure_qt(workdir, args, r)
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        shutdown_logging()
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(render(args, r), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
