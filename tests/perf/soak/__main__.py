"""``python -m tests.perf.soak --minutes 10``: the soak benchmark (see tests/perf/README.md).

Prints progress on stderr and the Markdown report on stdout. Exits 1 when a goal that
proves nothing broke fails (a 5xx, a lost acknowledged write, stock that does not add
up, a request left unanswered or refused), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_servers import LIVE
from bench_wrk import say

from .report import failed, render
from .run import SoakConfig, run_soak


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.perf.soak", description=__doc__)
    p.add_argument("--minutes", type=float, default=10, help="length of the load (default 10)")
    p.add_argument(
        "--segment-seconds",
        type=float,
        default=60,
        help="one wrk run, one table row: p99 is reported per segment (default 60)",
    )
    p.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument(
        "--write-percent", type=int, default=30, help="share of order writes (default 30)"
    )
    p.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (database, logs)")
    args = p.parse_args(argv)
    if not Path(args.wrk).exists():
        p.error(f"wrk not found at {args.wrk}; install it with: sudo apt-get install wrk")
    if args.segment_seconds < 1 or args.minutes * 60 < args.segment_seconds:
        p.error("--segment-seconds must be at least 1 and fit in --minutes")
    if not 0 <= args.write_percent <= 100:
        p.error("--write-percent must be between 0 and 100")
    return args


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = SoakConfig(
        segments=max(1, round(args.minutes * 60 / args.segment_seconds)),
        segment_s=args.segment_seconds,
        connections=args.connections,
        threads=args.threads,
        write_percent=args.write_percent,
        wrk=args.wrk,
    )
    command = shlex.join([".venv/bin/python", "-m", "tests.perf.soak", *sys.argv[1:]])
    workdir = Path(tempfile.mkdtemp(prefix="vigia-soak-"))
    signal.signal(signal.SIGTERM, _interrupt)  # a SIGTERM still stops the server
    say(f"work dir {workdir}; {config.segments} × {config.segment_s:.0f} s")
    try:
        result = run_soak(config, workdir)
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        for server in LIVE:
            server.stop()
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(render(result, command), flush=True)
    return 1 if failed(result) else 0


if __name__ == "__main__":
    sys.exit(main())
