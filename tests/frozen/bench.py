"""Benchmark of the frozen build (the numbers in README "Build the installer").

    .venv/bin/python -m tests.frozen.bench [--runs 7] [--idle 30]

Uses the build in ``.work/dist/vigia`` (``build/build.py --reuse`` first). Measures, on
this machine, next to the same code run from source (``.venv/bin/python -m
embedded_backend.cli.main``):

- size of the onedir folder, by component;
- ``vigia serve`` launch -> first ``/readyz`` 200, median of ``--runs`` (fresh
  ``VIGIA_HOME`` each run: migrations and the first admin included; and a second start
  on that home);
- tray idle RSS: ``vigia tray`` on the test desktop (tests/e2e/desktop_session.py),
  after its backend answers and ``--idle`` seconds idle, then with the dashboard open.

Writes ``.work/frozen-bench.json`` and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from tests.e2e.desktop_session import desktop_session
from tests.e2e.process import REPO
from tests.frozen.conftest import BUILD, WORK, build_module, frozen_env
from tests.frozen.test_frozen_tray import DASHBOARD, backend_answers
from tests.helpers.waiting import wait_for

sizes = build_module("sizes")
smoke = build_module("smoke")


def commands(onedir: Path) -> dict[str, list[str]]:
    return {
        "frozen": [str(onedir / "vigia")],
        "source": [sys.executable, "-m", "embedded_backend.cli.main"],
    }


def serve_times(command: list[str], runs: int) -> dict[str, list[float]]:
    fresh, warm = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="vigia-bench-") as scratch:
            home = Path(scratch) / "home"
            env = frozen_env(home, PYTHONPATH=str(REPO) if command[0] == sys.executable else "")
            fresh.append(_ready_after(command, env))
            warm.append(_ready_after(command, env))
    return {"fresh": fresh, "warm": warm}


def _ready_after(command: list[str], env: dict[str, str]) -> float:
    exe = Path(command[0])
    if len(command) == 1:
        return float(smoke.ready_after(exe, env))
    # From source: the same measurement through a tiny wrapper script.
    wrapper = Path(env["VIGIA_HOME"]).parent / "vigia-source"
    wrapper.write_text(f'#!/bin/sh\nexec {" ".join(command)} "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    return float(smoke.ready_after(wrapper, env))


def tray_rss(command: list[str], idle_s: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="vigia-bench-tray-") as scratch:
        base = Path(scratch)
        with desktop_session(base / "desktop") as desktop:
            home = base / "home"
            source = command[0] == sys.executable
            env = {**frozen_env(home, PYTHONPATH=str(REPO) if source else ""), **desktop.env}
            with (base / "tray.log").open("wb") as log:
                proc = subprocess.Popen(
                    [*command, "tray"], cwd=base, env=env, stdout=log, stderr=subprocess.STDOUT
                )
            try:
                wait_for(lambda: backend_answers(home), 60, "the backend")
                wait_for(desktop.tray_icons, 30, "the icon")
                time.sleep(idle_s)
                process = psutil.Process(proc.pid)
                idle = []
                for _ in range(5):
                    idle.append(process.memory_info().rss)
                    time.sleep(1)
                uss = process.memory_full_info().uss
                subprocess.run(
                    [*command, "tray"], env=env, capture_output=True, timeout=60, check=True
                )
                wait_for(lambda: desktop.visible_windows(DASHBOARD), 30, "the dashboard")
                time.sleep(10)
                dashboard = process.memory_info().rss
            finally:
                proc.terminate()
                proc.wait(60)
    return {
        "idle_rss_mb": statistics.median(idle) / 2**20,
        "idle_uss_mb": uss / 2**20,
        "dashboard_rss_mb": dashboard / 2**20,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--idle", type=float, default=30.0)
    args = parser.parse_args(argv)
    subprocess.run(
        [sys.executable, str(BUILD / "build.py"), "--reuse", "--no-smoke", "--no-installer"],
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    onedir = WORK / "dist" / "vigia"
    report: dict[str, object] = {"machine": _machine()}
    breakdown = sizes.breakdown(onedir)
    report["size_bytes"] = breakdown.total
    report["size_by_component"] = dict(breakdown.rows())
    print(f"## Size of {onedir.relative_to(REPO)}\n\n{breakdown.markdown()}\n")

    print("## vigia serve: launch -> /readyz 200 (s)\n")
    print("| run from | fresh home: median (min-max) | second start: median (min-max) |")
    print("|---|---:|---:|")
    for name, command in commands(onedir).items():
        times = serve_times(command, args.runs)
        report[f"serve_{name}"] = times
        cells = [f"{statistics.median(v):.2f} ({min(v):.2f}-{max(v):.2f})" for v in times.values()]
        print(f"| {name} | {cells[0]} | {cells[1]} |")

    print("\n## vigia tray: memory (MiB)\n")
    print("| run from | idle RSS | idle USS | RSS with the dashboard open |")
    print("|---|---:|---:|---:|")
    for name, command in commands(onedir).items():
        rss = tray_rss(command, args.idle)
        report[f"tray_{name}"] = rss
        print(
            f"| {name} | {rss['idle_rss_mb']:.0f} | {rss['idle_uss_mb']:.0f} "
            f"| {rss['dashboard_rss_mb']:.0f} |"
        )
    (WORK / "frozen-bench.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def _machine() -> dict[str, object]:
    import platform

    return {
        "cpus": psutil.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


if __name__ == "__main__":
    sys.exit(main())
