"""Benchmark: the log viewer and the admin logs API on a 100 MB ``backend.jsonl``.

    .venv/bin/python tests/perf/bench_log_viewer.py               # 100 MB, 5 runs
    .venv/bin/python tests/perf/bench_log_viewer.py --size-mb 20  # a quick one

Builds a ``backend.jsonl`` of ``--size-mb`` in a temp ``VIGIA_HOME`` (records like the
backend writes: levels mostly INFO, some WARNING/ERROR, request ids, a traceback now and
then), then measures:

- **LogViewer** (offscreen Qt, the real window, local mode): from constructing the window
  until its table holds the newest 20,000 records, scrolled to the bottom, and a frame of
  the window has been rendered (``QWidget.grab``). Meanwhile a 5 ms GUI timer records the
  longest gap between its ticks: the worst time the window could not react (the goal is
  that the UI never freezes while a big log loads).
- **reader tail** (:func:`embedded_backend.logs.reader.tail`, what the API runs): the
  newest 500 and 5,000 records, ERROR only, a request id, and a text that matches nothing
  (the worst case: the whole file is read backwards); with the peak memory the process
  grew by.
- **HTTP** ``GET /api/v1/admin/logs?limit=5000`` on a real backend (uvicorn on port 0).

Goal (issue 5): the viewer shows the last 20,000 lines of a 100 MB log in <= 1 s. The
file is freshly written, so it is in the OS page cache (a warm cache); the first read of
a log on a cold disk costs what reading its last few MB costs on that disk. Prints a
Markdown table with the machine. Not a unit test (tests/perf is not collected).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx  # noqa: E402
import psutil  # noqa: E402
from PySide6 import __version__ as pyside_version  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from embedded_backend.config import Settings, load_settings  # noqa: E402
from embedded_backend.logs.reader import LogFilter, tail  # noqa: E402

MB = 1024 * 1024
TOKEN = "bench-admin-token-0123456789abcdef"
LOGGERS = ("uvicorn.error", "embedded_backend.api", "embedded_backend.db", "vigia.erp.orders")
RARE_REQUEST = "feedfacefeedfacefeedfacefeedface"


def build_log(path: Path, size_mb: int) -> int:
    """Write records until the file has ``size_mb``; returns the number of lines."""
    rng = random.Random(42)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    target = size_mb * MB
    written = lines = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        batch: list[str] = []
        while written < target:
            roll = rng.random()
            level = "ERROR" if roll < 0.01 else "WARNING" if roll < 0.05 else "INFO"
            record: dict[str, object] = {
                "ts": (start + timedelta(milliseconds=lines * 7)).isoformat(
                    timespec="milliseconds"
                ),
                "level": level,
                "logger": rng.choice(LOGGERS),
                "msg": f"pedido {lines} criado para o cliente {rng.randrange(10**6)} "
                f"com {rng.randrange(1, 20)} itens em {rng.random() * 90:.1f} ms",
                "request_id": RARE_REQUEST if lines == 1000 else f"{rng.getrandbits(128):032x}",
                "thread": "AnyIO worker thread",
            }
            if level == "ERROR" and rng.random() < 0.3:
                record["exc"] = (
                    "Traceback (most recent call last):\n"
                    + ('  File "app.py", line 10, in handler\n' * 12)
                    + "ValueError: bad value"
                )
            text = json.dumps(record, ensure_ascii=False) + "\n"
            batch.append(text)
            written += len(text.encode())
            lines += 1
            if len(batch) >= 5000:
                fh.write("".join(batch))
                batch.clear()
        fh.write("".join(batch))
    return lines


def timed(fn: Callable[[], object], runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times, result


def peak_rss_growth(fn: Callable[[], object]) -> int:
    """How much this process's RSS grew at most while ``fn`` ran (sampled every 2 ms)."""
    process = psutil.Process()
    base = process.memory_info().rss
    peak = base
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        fn()
    finally:
        done.set()
        sampler.join()
    return max(0, peak - base)


class _Run:
    """One timed opening of the viewer: the clock, the GUI timer's gaps, the results."""

    def __init__(self) -> None:
        self.loop = QEventLoop()
        self.clock = QElapsedTimer()
        self.gaps: list[int] = []
        self.last = 0
        self.started = 0.0
        self.shown: dict[str, float] = {}

    def tick(self) -> None:
        now = self.clock.elapsed()
        self.gaps.append(now - self.last)
        self.last = now

    def on_loaded(self, rows: int) -> None:
        self.shown["loaded"] = time.perf_counter() - self.started
        self.shown["rows"] = rows
        self.loop.quit()


def bench_viewer(app: QApplication, settings: Settings, runs: int) -> list[dict[str, float]]:
    from desktop.ui.logs.viewer import LogViewer
    from desktop.ui.logs.worker import WorkerThread
    from tests.desktop.ui.contexts import ui_context

    results = []
    with ui_context(settings) as ctx:
        for _ in range(runs):
            run = _Run()
            ticker = QTimer()
            ticker.setInterval(5)
            ticker.timeout.connect(run.tick)
            run.started = time.perf_counter()
            run.clock.start()
            ticker.start()
            viewer = LogViewer(ctx, poll_interval_ms=60_000)
            viewer.show()
            viewer.loaded.connect(run.on_loaded)
            QTimer.singleShot(60_000, run.loop.quit)
            run.loop.exec()
            app.processEvents()
            viewer.grab()  # render a frame of the window with the newest rows
            run.shown["painted"] = time.perf_counter() - run.started
            ticker.stop()
            run.shown["max_gap_ms"] = float(max(run.gaps) if run.gaps else 0)
            last_row = viewer.model.row(viewer.model.rowCount() - 1)
            run.shown["last_is_newest"] = float("pedido" in str(last_row.record.get("msg")))
            viewer.close()
            viewer.deleteLater()
            app.processEvents()
            WorkerThread.stop_all()
            results.append(run.shown)
    return results


def bench_reader(path: Path, runs: int) -> list[tuple[str, float, int, int]]:
    cases: list[tuple[str, LogFilter, int]] = [
        ("newest 500", LogFilter(), 500),
        ("newest 5,000 (API max)", LogFilter(), 5000),
        ("newest 20,000 (viewer)", LogFilter(), 20_000),
        ("ERROR only, 500", LogFilter(level="ERROR"), 500),
        ("one request id (near the start)", LogFilter(request_id=RARE_REQUEST), 500),
        ("text matching nothing (whole file)", LogFilter(text="não existe em lugar nenhum"), 500),
    ]
    rows = []
    for name, filters, limit in cases:
        times, result = timed(lambda f=filters, n=limit: tail(path, f, n), runs)
        memory = peak_rss_growth(lambda f=filters, n=limit: tail(path, f, n))
        items = len(result.items) if hasattr(result, "items") else 0
        rows.append((name, statistics.median(times), items, memory))
    return rows


def bench_http(settings: Settings, runs: int) -> float:
    from embedded_backend.server import ServerRunner

    runner = ServerRunner(settings)
    runner.start()
    try:
        with httpx.Client(
            base_url=runner.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
        ) as client:
            client.get("/api/v1/admin/logs", params={"limit": 10}).raise_for_status()

            def call() -> int:
                response = client.get("/api/v1/admin/logs", params={"limit": 5000})
                response.raise_for_status()
                return len(response.json()["items"])

            times, count = timed(call, runs)
            assert count == 5000
            return statistics.median(times)
    finally:
        runner.stop()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = psutil.virtual_memory().total / (1024**3)
    return (
        f"{cpu}, {psutil.cpu_count()} logical CPUs, {memory:.1f} GB RAM; "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
        f"PySide6 {pyside_version}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="vigia-bench-logs-"))
    try:
        home = base / "home"
        settings = load_settings(
            home=home,
            port=0,
            admin_token=TOKEN,
            secret_key="bench-secret-key-0123456789abcdef0123",
            log_console=False,
        )
        settings.paths.ensure()
        print(f"building a {args.size_mb} MB log in {home} ...", file=sys.stderr)
        started = time.perf_counter()
        lines = build_log(settings.paths.backend_log, args.size_mb)
        size = settings.paths.backend_log.stat().st_size
        print(f"  {lines:,} lines in {time.perf_counter() - started:.1f} s", file=sys.stderr)

        app = QApplication.instance() or QApplication([])
        assert isinstance(app, QApplication)
        print("log viewer ...", file=sys.stderr)
        viewer_runs = bench_viewer(app, settings, args.runs)
        print("reader ...", file=sys.stderr)
        reader_rows = bench_reader(settings.paths.backend_log, args.runs)
        print("HTTP ...", file=sys.stderr)
        http_s = bench_http(settings, args.runs)
    finally:
        if args.keep:
            print(f"kept {base}", file=sys.stderr)
        else:
            import shutil

            shutil.rmtree(base, ignore_errors=True)

    loaded = [r["loaded"] for r in viewer_runs]
    painted = [r["painted"] for r in viewer_runs]
    gaps = [r["max_gap_ms"] for r in viewer_runs]
    print(f"## Log viewer on a {size / MB:.0f} MB backend.jsonl ({lines:,} lines)\n")
    print(f"Machine: {machine()}  ")
    print(f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {args.runs} runs each, warm page cache\n")
    print("| measurement | median | min | max |")
    print("|---|---|---|---|")
    rows = int(viewer_runs[0]["rows"])
    print(
        f"| LogViewer: {rows:,} newest rows in the table | {statistics.median(loaded):.3f} s "
        f"| {min(loaded):.3f} s | {max(loaded):.3f} s |"
    )
    print(
        f"| LogViewer: ... and a frame rendered | {statistics.median(painted):.3f} s "
        f"| {min(painted):.3f} s | {max(painted):.3f} s |"
    )
    print(
        f"| LogViewer: longest GUI stall while loading | {statistics.median(gaps):.0f} ms "
        f"| {min(gaps):.0f} ms | {max(gaps):.0f} ms |"
    )
    print("\n| reader tail (what the API runs) | median | records | peak RSS growth |")
    print("|---|---|---|---|")
    for name, seconds, items, memory in reader_rows:
        print(f"| {name} | {seconds * 1000:.1f} ms | {items:,} | {memory / MB:.1f} MB |")
    print(
        f"| HTTP GET /api/v1/admin/logs?limit=5000 (real backend) | {http_s * 1000:.1f} ms "
        "| 5,000 | - |"
    )
    goal = statistics.median(painted) <= 1.0 and all(r["last_is_newest"] for r in viewer_runs)
    print(f"\nGoal (newest 20,000 lines shown <= 1 s): {'met' if goal else 'NOT met'}")
    return 0 if goal else 1


if __name__ == "__main__":
    sys.exit(main())
