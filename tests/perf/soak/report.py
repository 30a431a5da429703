"""The soak's Markdown report and its goals (issue 7), judged PASS or FAIL.

Goals that prove nothing was lost or broken (no 5xx, no lost acknowledged write, stock
that adds up, and every request answered with what a valid request deserves) decide the
exit code. The RSS goal (≤ 10 % growth after the warm-up segment) and the latencies are
benchmark figures: printed and judged, never turned into a failure here; on a shared
machine they move with the neighbours (the "others" column says by how much).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench_report import fmt_ms, fmt_rps, machine_info

from .run import SoakResult

RSS_GOAL = 0.10
MIB = 2**20


@dataclass(frozen=True)
class Goal:
    name: str
    measured: str
    passed: bool
    decides_exit: bool

    def row(self) -> str:
        verdict = "PASS" if self.passed else "**FAIL**"
        note = "" if self.decides_exit else " (reported)"
        return f"| {self.name} | {self.measured} | {verdict}{note} |"


def goals(r: SoakResult) -> list[Goal]:
    v = r.verdict
    out = [
        Goal(
            "no 5xx",
            f"{r.server_errors} of {r.requests:,} responses",
            r.server_errors == 0,
            True,
        )
    ]
    if v is not None:
        # Each segment's end can leave one request per connection unanswered; so can a
        # timeout. More stored-but-unacknowledged orders would mean 201s went uncounted.
        in_flight = r.config.connections * len(r.segments) + r.socket_errors
        out.append(
            Goal(
                "no lost acknowledged write",
                f"{v.lost} of {v.acknowledged:,} acknowledged orders missing ({len(v.missing)}) "
                f"or stored with other items ({len(v.different)}); {v.orders_in_db:,} orders "
                f"in the database, {v.unacknowledged} of them never acknowledged (in flight "
                f"when a segment ended: at most {in_flight})",
                v.lost == 0
                and v.acknowledged > 0
                and r.duplicate_acks == 0
                and 0 <= v.unacknowledged <= in_flight,
                True,
            )
        )
        out.append(
            Goal(
                "stock adds up (initial − ordered = stock, every product)",
                "; ".join(v.stock_mismatches) or "all products",
                not v.stock_mismatches,
                True,
            )
        )
        out.append(
            Goal(
                "database intact (`PRAGMA integrity_check`)", v.integrity, v.integrity == "ok", True
            )
        )
    out.append(
        Goal(
            "every request answered as a valid request deserves",
            f"4xx {r.client_errors}, socket errors (connect/read/write/timeout) "
            f"{r.socket_errors}, 201 bodies without an order id {r.unparsed}",
            r.client_errors == 0 and r.socket_errors == 0 and r.unparsed == 0,
            True,
        )
    )
    growth = r.rss_growth
    if growth is not None:
        first, last = r.segments[0].rss_end, r.segments[-1].rss_end
        out.append(
            Goal(
                f"RSS growth after warm-up ≤ {RSS_GOAL:.0%}",
                f"{first / MIB:.1f} MiB at the end of segment 1 → {last / MIB:.1f} MiB at the "
                f"end ({growth:+.1%})",
                growth <= RSS_GOAL,
                False,
            )
        )
    return out


def failed(r: SoakResult) -> list[Goal]:
    """The goals that fail the run (and the CLI's exit code)."""
    return [g for g in goals(r) if g.decides_exit and not g.passed]


def segment_table(r: SoakResult) -> list[str]:
    unit = "minute" if r.config.segment_s == 60 else f"segment ({r.config.segment_s:.0f} s)"
    lines = [
        f"| {unit} | requests | req/s | p50 | p99 | 2xx | 4xx | 5xx | socket errors "
        "| orders acknowledged | RSS at end | RSS max | others' CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in r.segments:
        ok = sum(n for status, n in s.counted.statuses.items() if 200 <= status < 300)
        lines.append(
            f"| {s.index} | {s.wrk.requests:,} | {fmt_rps(s.wrk.rps)} | {fmt_ms(s.wrk.p50_ms)} "
            f"| {fmt_ms(s.wrk.p99_ms)} | {ok:,} | {s.client_errors} | {s.server_errors} "
            f"| {s.wrk.socket_errors} | {len(s.counted.acked):,} | {s.rss_end / MIB:.1f} MiB "
            f"| {s.rss_max / MIB:.1f} MiB | {s.wrk.foreign_cpu_pct:.0f}% |"
        )
    return lines


def render(r: SoakResult, command: str) -> str:
    c = r.config
    gs = goals(r)
    verdict = "FAIL" if any(g.decides_exit and not g.passed for g in gs) else "PASS"
    lines = [
        "# Soak: `vigia serve` under mixed reads and order writes",
        "",
        f"- command: `{command}`",
        f"- started: {r.started.isoformat(timespec='seconds')}",
        *machine_info(None),
        f"- load: `wrk -t{c.threads} -c{c.connections}` with `tests/perf/wrk/soak.lua`, "
        f"{c.segments} consecutive segments of {c.segment_s:.0f} s; {c.write_percent} % "
        f"order writes (1–3 products, quantity 1–5, {c.customers} customers, 20 products), "
        "the rest reads (products and customers by id, their list pages, orders read back)",
        f"- server: `vigia serve`, default settings but `VIGIA_RATE_LIMIT_PER_MINUTE=100000000` "
        f"(one user sends every request); RSS {r.rss_before / MIB:.1f} MiB before the load; "
        f"exit code {r.exit_code} after SIGTERM; {len(r.error_records)} ERROR/CRITICAL "
        "records in its log",
        "",
        *segment_table(r),
        "",
        "| goal | measured | result |",
        "|---|---|---|",
        *(g.row() for g in gs),
        "",
        f"**{verdict}**" + (" (goals marked “reported” do not decide it)" if gs else ""),
    ]
    if r.error_records:
        lines += ["", "First ERROR/CRITICAL log records:", ""]
        lines += [f"- {msg[:300]}" for msg in r.error_records[:5]]
    return "\n".join(lines) + "\n"
