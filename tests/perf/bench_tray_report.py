"""The Markdown report of bench_tray.py: one table, goals met / not met, every run.

A goal on a repeated measurement is judged on every run (the max): "met" when the max is
within it, "median met, max not" when only the median is, "**not met**" otherwise.
Nothing is adjusted: the figures are the measured ones.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from bench_tray_anchor import supervisord_version
from bench_tray_graph import GraphCase, GraphRun
from bench_tray_launch import Launches
from bench_tray_machine import Load, machine_lines
from bench_tray_outage import Outage

MB = 1_000_000
MIB = 1024 * 1024

GOAL_LAUNCH_S = 5.0
GOAL_IDLE_CPU_PCT = 1.0
GOAL_IDLE_RSS_MB = 150.0
GOAL_CRASH_FAILED_S = 0.5
GOAL_CRASH_RUNNING_S = 1.0
GOAL_RESTART_RUNNING_S = 1.0
GOAL_DB_FAILED_S = 3.0
GOAL_GRAPH_MS = 50.0
GOAL_LOG_VIEWER_S = 1.0


@dataclass
class Results:
    launches: Launches | None = None
    crash_failed_s: list[float] = field(default_factory=list)
    crash_running_s: list[float] = field(default_factory=list)
    restart_s: list[float] = field(default_factory=list)
    anchor_s: list[float] = field(default_factory=list)
    recovery_load: Load | None = None
    outages: list[Outage] = field(default_factory=list)
    outage_load: Load | None = None
    postgresql_version: str | None = None
    graph: dict[GraphCase, list[GraphRun]] = field(default_factory=dict)
    graph_load: Load | None = None
    log_viewer: list[dict[str, float]] = field(default_factory=list)
    log_bytes: int = 0
    log_lines: int = 0
    log_load: Load | None = None


def met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def judged(values: list[float], goal: float) -> str:
    if not values:
        return "-"
    med, worst = statistics.median(values), max(values)
    if worst <= goal:
        return "met"
    if med <= goal:
        return "median met, max **not met**"
    return "**not met**"


def _s(v: float) -> str:
    return f"{v:.3f} s" if v < 10 else f"{v:.1f} s"


def _ms(v: float) -> str:
    return f"{v:.1f} ms" if v < 1000 else f"{v / 1000:.2f} s"


class Table:
    def __init__(self) -> None:
        self.rows: list[str] = [
            "| measurement | median | max | runs | goal | result | load avg 1/5/15 min "
            "at start | CPU of other processes |",
            "|---|---:|---:|---:|---|---|---|---:|",
        ]

    def add(
        self,
        what: str,
        values: list[float],
        fmt: Callable[[float], str],
        goal: str,
        result: str,
        load: Load | None,
    ) -> None:
        if not values:
            return
        med, worst = statistics.median(values), max(values)
        load_cell = load.cell() if load else "?"
        others = f"{load.others_pct:.0f}%" if load else "?"
        self.rows.append(
            f"| {what} | {fmt(med)} | {fmt(worst)} | {len(values)} | {goal} | {result} "
            f"| {load_cell} | {others} |"
        )


def _launch_rows(t: Table, launches: Launches) -> None:
    load = launches.loads[0] if launches.loads else None
    if load and launches.loads:
        load = Load(load.loadavg, statistics.fmean(x.others_pct for x in launches.loads))
    t.add(
        "`vigia tray` launch → embedded backend answers `/readyz` 200 (fresh VIGIA_HOME)",
        launches.readyz_s,
        _s,
        f"≤ {GOAL_LAUNCH_S:g} s",
        judged(launches.readyz_s, GOAL_LAUNCH_S),
        load,
    )
    idle = launches.idle
    if idle is None:
        return
    t.add(
        f"idle, dashboard closed: CPU of tray + embedded backend over {idle.seconds:.0f} s "
        "(% of one core)",
        [idle.cpu_pct],
        lambda v: f"{v:.2f} %",
        f"≤ {GOAL_IDLE_CPU_PCT:g} %",
        met(idle.cpu_pct <= GOAL_IDLE_CPU_PCT),
        idle.load,
    )
    t.add(
        "idle: RSS of tray + embedded backend (one process), max over the window",
        [idle.rss_max / MB],
        lambda v: f"{v:.0f} MB ({v * MB / MIB:.0f} MiB)",
        f"≤ {GOAL_IDLE_RSS_MB:g} MB",
        met(idle.rss_max / MB <= GOAL_IDLE_RSS_MB),
        idle.load,
    )


def _beats(values: list[float], anchor: list[float]) -> str:
    if not anchor:
        return ""
    a = statistics.median(anchor)
    return f"; beats the anchor's median ({a:.2f} s): {met(statistics.median(values) < a)}"


def _recovery_rows(t: Table, r: Results) -> None:
    if not r.crash_failed_s:
        return
    load = r.recovery_load
    t.add(
        "backend thread crash → supervisor `failed`",
        r.crash_failed_s,
        _s,
        f"≤ {GOAL_CRASH_FAILED_S:g} s",
        judged(r.crash_failed_s, GOAL_CRASH_FAILED_S),
        load,
    )
    t.add(
        "backend thread crash → `running` again",
        r.crash_running_s,
        _s,
        f"≤ {GOAL_CRASH_RUNNING_S:g} s, beat the anchor",
        judged(r.crash_running_s, GOAL_CRASH_RUNNING_S) + _beats(r.crash_running_s, r.anchor_s),
        load,
    )
    t.add(
        "Restart (tray menu = `Supervisor.restart()`) → `running`",
        r.restart_s,
        _s,
        f"≤ {GOAL_RESTART_RUNNING_S:g} s, beat the anchor",
        judged(r.restart_s, GOAL_RESTART_RUNNING_S) + _beats(r.restart_s, r.anchor_s),
        load,
    )
    t.add(
        f"anchor: supervisord {supervisord_version()}, `kill -9` of a bare uvicorn app → "
        "`/readyz` 200 again (same run, alternating)",
        r.anchor_s,
        _s,
        "reference (issue: 1.35 s)",
        "-",
        load,
    )


def _outage_rows(t: Table, r: Results) -> None:
    if not r.outages:
        return
    load = r.outage_load
    db = f"PostgreSQL {r.postgresql_version.split()[0]}" if r.postgresql_version else "PostgreSQL"
    fail = [o.fail_sample_s for o in r.outages]
    red = [o.red_s for o in r.outages]
    degraded = [o.degraded_s for o in r.outages]
    t.add(
        f"{db} unreachable → the poller's first `fail` sample",
        fail,
        _s,
        f"≤ {GOAL_DB_FAILED_S:g} s",
        judged(fail, GOAL_DB_FAILED_S),
        load,
    )
    t.add(
        f"{db} unreachable → the tray shows failed (red icon)",
        red,
        _s,
        f"≤ {GOAL_DB_FAILED_S:g} s",
        judged(red, GOAL_DB_FAILED_S),
        load,
    )
    failed = sum(o.supervisor_failed for o in r.outages)
    t.add(
        f"{db} unreachable → supervisor `degraded` (it went `failed` in {failed} of "
        f"{len(r.outages)} outages)",
        degraded,
        _s,
        "- (stays `degraded` by design)",
        "-",
        load,
    )
    t.add(
        f"{db} reachable again → supervisor `running`",
        [o.recovered_s for o in r.outages],
        _s,
        "-",
        "-",
        load,
    )


def _graph_rows(t: Table, r: Results) -> None:
    for case, runs in r.graph.items():
        if not runs:
            continue
        total = [x.total_ms for x in runs]
        product = case.pen_width is None
        issue_size = case.points == 86_400
        t.add(
            f"latency graph (offscreen), {case.points:,} points per line, {case.label}: "
            "`setData` + forced repaint (`grab()`)",
            total,
            _ms,
            f"≤ {GOAL_GRAPH_MS:g} ms" if product and issue_size else "- (for comparison)",
            judged(total, GOAL_GRAPH_MS) if product and issue_size else "-",
            r.graph_load,
        )
        t.add(
            f"… of which `setData` ({case.points:,} points, {case.label})",
            [x.set_data_ms for x in runs],
            _ms,
            "-",
            "-",
            r.graph_load,
        )


def _log_rows(t: Table, r: Results) -> None:
    if not r.log_viewer:
        return
    painted = [x["painted"] for x in r.log_viewer]
    newest = all(x["last_is_newest"] for x in r.log_viewer)
    rows = int(r.log_viewer[0]["rows"])
    t.add(
        f"log viewer (offscreen), {r.log_bytes / MIB:.0f} MiB log ({r.log_lines:,} lines): newest "
        f"{rows:,} lines in the table and a frame rendered",
        painted,
        _s,
        f"≤ {GOAL_LOG_VIEWER_S:g} s",
        judged(painted, GOAL_LOG_VIEWER_S) + ("" if newest else "; **last row is not the newest**"),
        r.log_load,
    )
    t.add(
        "… longest GUI stall while it loads",
        [x["max_gap_ms"] for x in r.log_viewer],
        _ms,
        "-",
        "-",
        r.log_load,
    )


def _per_run(r: Results) -> list[str]:
    def seconds(values: list[float]) -> str:
        return ", ".join(f"{v:.3f}" for v in values) + " s"

    out = ["Every run:", ""]
    if r.launches and r.launches.readyz_s:
        out.append(f"- launch → /readyz: {seconds(r.launches.readyz_s)}")
    if r.launches and r.launches.idle:
        i = r.launches.idle
        out.append(
            f"- idle: {i.cpu_s:.2f} CPU-s in {i.seconds:.1f} s; RSS max {i.rss_max / MIB:.1f} "
            f"MiB, at the end {i.rss_end / MIB:.1f} MiB (PSS {i.pss_end / MIB:.1f} MiB, USS "
            f"{i.uss_end / MIB:.1f} MiB); {i.threads} threads, {i.children} child processes; "
            f"icon docked in trayer: {'yes' if i.icon_docked else 'NO'}; dashboard shown: "
            f"{'YES' if i.dashboard_shown else 'no'}; backup files made during the window: "
            f"{i.backups_made}"
        )
    if r.crash_failed_s:
        out.append(f"- crash → failed: {seconds(r.crash_failed_s)}")
        out.append(f"- crash → running: {seconds(r.crash_running_s)}")
    if r.restart_s:
        out.append(f"- restart → running: {seconds(r.restart_s)}")
    if r.anchor_s:
        out.append(f"- supervisord kill -9 → /readyz 200: {seconds(r.anchor_s)}")
    if r.outages:
        out.append(f"- DB → fail sample: {seconds([o.fail_sample_s for o in r.outages])}")
        out.append(f"- DB → red: {seconds([o.red_s for o in r.outages])}")
        out.append(f"- DB back → running: {seconds([o.recovered_s for o in r.outages])}")
    for case, runs in r.graph.items():
        cells = ", ".join(f"{x.set_data_ms:.1f} + {x.repaint_ms:.1f}" for x in runs)
        out.append(f"- graph {case.points:,} points, {case.label} (setData + repaint ms): {cells}")
    if r.log_viewer:
        cells = ", ".join(f"{x['loaded']:.3f} / {x['painted']:.3f}" for x in r.log_viewer)
        out.append(f"- log viewer (rows loaded / frame rendered, s): {cells}")
    return out


def render(args: argparse.Namespace, r: Results) -> str:
    options = (
        f"--launches {args.launches} --idle {args.idle:g} --settle {args.settle:g} "
        f"--reps {args.reps} --outages {args.outages} --graph-reps {args.graph_reps} "
        f"--log-mb {args.log_mb} --log-runs {args.log_runs}"
    )
    extra = [
        f"- parts: {', '.join(args.parts)}; options: `{options}`",
        f"- supervisord {supervisord_version()} (the anchor)",
    ]
    if r.postgresql_version:
        extra.append(f"- PostgreSQL {r.postgresql_version} on 127.0.0.1 (same machine)")
    t = Table()
    if r.launches:
        _launch_rows(t, r.launches)
    _recovery_rows(t, r)
    _outage_rows(t, r)
    _graph_rows(t, r)
    _log_rows(t, r)
    out = [
        "### Vigia tray: idle cost, recovery, graph and log viewer (issue 5)",
        "",
        *machine_lines(extra),
        "",
        *t.rows,
        "",
        "Load average: the machine's, when the measurement began; CPU of other processes: "
        "the share of all cores used by processes that are not this benchmark or what it "
        "started, while it ran. A busy machine stretches the latencies. The launch and idle "
        "rows are the real `vigia tray` on a virtual X desktop (Xvfb + trayer + dunst + "
        "D-Bus); crash, restart and outage rows use the real Monitor and ServerRunner in the "
        "benchmark's process; graph and log viewer rows use Qt's offscreen platform.",
        "",
        *_per_run(r),
    ]
    return "\n".join(out)
