"""Benchmark: Vigia's online SQLite backup against ``sqlite3 src ".backup dst"``.

    .venv/bin/python tests/perf/bench_backup.py --size-mb 1024   # the real run (~1 GB)
    .venv/bin/python tests/perf/bench_backup.py --size-mb 64     # a quick one

Builds a database with the ERP schema (``migrate_to_head``, then bulk ``executemany``
inserts: customers, products, orders with items, audit rows), then measures, in one run:

- the ``sqlite3`` shell's ``.backup`` (Debian package ``sqlite3``), idle database;
- Vigia's copy (``backup.sqlite.copy_database``) and a full ``create_backup`` (copy,
  integrity_check, row counts, fsync, sha256, manifest), idle database;
- ``create_backup`` while one writer commits orders through the real write path
  (``Database.write`` + ``erp.orders.create_order``, WAL, synchronous=FULL): the writer's
  p50/p99/max commit latency and failed writes, against the same writer with no backup;
- the shell's ``.backup`` under the same writer (it restarts on every foreign commit;
  stopped after a time limit);
- restore time: copying the backup into a new database file with ``copy_database``.

Goals: Vigia's backup <= 1.2x the shell's; writer p99 <= 100 ms; 0 failed writes.
Prints a Markdown table with the machine it ran on. Nothing here is a unit test
(tests/perf is not collected by pytest).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import psutil  # noqa: E402

from embedded_backend.backup import create_backup  # noqa: E402
from embedded_backend.backup.create import sha256_of  # noqa: E402
from embedded_backend.backup.sqlite import copy_database, inspect  # noqa: E402
from embedded_backend.config import Settings, load_settings  # noqa: E402
from embedded_backend.db.database import Database  # noqa: E402
from embedded_backend.db.migrate import migrate_to_head  # noqa: E402
from embedded_backend.erp.orders import create_order  # noqa: E402
from embedded_backend.schemas.orders import OrderCreate  # noqa: E402

MB = 1024 * 1024


def ensure_sqlite3_cli() -> str:
    found = shutil.which("sqlite3")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing the Debian package sqlite3 ...", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "sqlite3"], env=env, check=False)
        found = shutil.which("sqlite3")
    if not found:
        sys.exit("the sqlite3 command-line shell is needed: apt-get install sqlite3")
    return found


# -- building the database -----------------------------------------------------------------


def build_database(settings: Settings, size_mb: int) -> None:
    settings.paths.ensure()
    db = Database(settings)
    migrate_to_head(db.engine)
    db.dispose()
    rng = random.Random(42)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    path = settings.paths.database
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO customers (name, document, document_type, email, phone, created_at, "
            "updated_at) VALUES (?, ?, 'cpf', ?, ?, ?, ?)",
            (
                (f"Cliente {n}", f"{n:011d}", f"c{n}@exemplo.com.br", "+55 11 99999-0000", now, now)
                for n in range(1, 20_001)
            ),
        )
        conn.executemany(
            "INSERT INTO products (sku, name, price, stock, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                (f"SKU-{n:06d}", f"Produto {n}", f"{rng.uniform(1, 500):.2f}", 10**9, now, now)
                for n in range(1, 5_001)
            ),
        )
        conn.execute("COMMIT")
        order_id = 0
        batch = 20_000
        while path.stat().st_size < size_mb * MB * 0.55:  # ~55% orders, the rest audit rows
            conn.execute("BEGIN")
            orders, items = [], []
            for _ in range(batch):
                order_id += 1
                orders.append(
                    (order_id, rng.randint(1, 20_000), "confirmed", "25.00", "bench", now, now)
                )
                for _ in range(2):
                    items.append(
                        (order_id, rng.randint(1, 5_000), rng.randint(1, 5), "12.50", "25.00")
                    )
            conn.executemany(
                "INSERT INTO orders (id, customer_id, status, total, created_by, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                orders,
            )
            conn.executemany(
                "INSERT INTO order_items (order_id, product_id, quantity, unit_price, line_total) "
                "VALUES (?, ?, ?, ?, ?)",
                items,
            )
            conn.execute("COMMIT")
        detail = (
            '{"after": {"customer": 1, "items": [{"product": 1, "quantity": 2}], "note": "%s"}}'
        )
        while path.stat().st_size < size_mb * MB:
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                (
                    (
                        now,
                        "bench",
                        "order.create",
                        f"order:{n}",
                        detail % ("x" * rng.randint(200, 600)),
                    )
                    for n in range(batch)
                ),
            )
            conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# -- the writer -----------------------------------------------------------------------------


@dataclass
class Writer:
    settings: Settings
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self.latencies, self.failures = [], []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60)

    def _run(self) -> None:
        db = Database(self.settings)
        rng = random.Random(7)
        try:
            while not self._stop.is_set():
                data = OrderCreate.model_validate(
                    {
                        "customer_id": rng.randint(1, 20_000),
                        "items": [{"product_id": rng.randint(1, 5_000), "quantity": 1}],
                    }
                )
                started = time.perf_counter()
                try:
                    db.write(lambda s, d=data: create_order(s, d, actor="bench").id)
                except Exception as exc:  # every failure is counted
                    self.failures.append(f"{type(exc).__name__}: {exc}"[:200])
                else:
                    self.latencies.append(time.perf_counter() - started)
                time.sleep(0.005)  # ~ a busy office: up to ~100 orders/s
        finally:
            db.dispose()


@contextmanager
def writing(writer: Writer) -> Iterator[Writer]:
    writer.start()
    try:
        yield writer
    finally:
        writer.stop()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# -- timing ---------------------------------------------------------------------------------


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def shell_backup(cli: str, source: Path, dest: Path, timeout: float | None = None) -> float | None:
    dest.unlink(missing_ok=True)
    started = time.perf_counter()
    try:
        subprocess.run([cli, str(source), f".backup '{dest}'"], check=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return time.perf_counter() - started


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = psutil.virtual_memory().total / 1024**3
    return (
        f"{cpu}, {psutil.cpu_count()} logical CPUs, {ram:.0f} GB RAM; {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument(
        "--dir", type=Path, help="work folder, kept (reused next time); default: a temp dir"
    )
    parser.add_argument("--rounds", type=int, default=2, help="idle timings, alternated")
    args = parser.parse_args()
    cli = ensure_sqlite3_cli()
    cli_version = subprocess.run([cli, "--version"], capture_output=True, text=True).stdout.split()[
        0
    ]

    work = args.dir or Path(tempfile.mkdtemp(prefix="vigia-bench-backup-"))
    try:
        home = work / "home"
        settings = load_settings(home=home, log_console=False, db_write_attempts=8)
        if settings.paths.database.exists():  # --dir of an earlier run: reuse its database
            print(f"reusing {settings.paths.database}", file=sys.stderr)
            build_seconds = 0.0
        else:
            print(f"building a {args.size_mb} MB database in {home} ...", file=sys.stderr)
            build_seconds = timed(lambda: build_database(settings, args.size_mb))
        source = settings.paths.database
        size = source.stat().st_size
        fs = subprocess.run(["df", "-T", str(work)], capture_output=True, text=True).stdout
        fs_type = fs.splitlines()[-1].split()[1] if fs else "?"
        print(f"built {size / MB:.0f} MB in {build_seconds:.0f} s", file=sys.stderr)

        shell_times, copy_times, create_times = [], [], []
        check_times: list[float] = []
        hash_times: list[float] = []
        for n in range(args.rounds):
            dest = work / f"copy{n}.db"
            dest.unlink(missing_ok=True)
            if n % 2:  # alternate which goes first (page cache, neighbours' load)
                copy_times.append(timed(lambda d=dest: copy_database(source, d)))
            t = shell_backup(cli, source, work / "shell.db")
            assert t is not None
            shell_times.append(t)
            if not n % 2:
                copy_times.append(timed(lambda d=dest: copy_database(source, d)))
            check_times.append(timed(lambda d=dest: inspect(d)))
            hash_times.append(timed(lambda d=dest: sha256_of(d)))
            dest.unlink()
            backup = create_backup(settings)
            create_times.append(
                (backup.manifest.finished_at - backup.manifest.created_at).total_seconds()
            )
            backup.path.unlink()
            backup.manifest_path.unlink()
            print(f"round {n + 1}: shell {t:.2f} s, copy {copy_times[-1]:.2f} s, "
                  f"create {create_times[-1]:.2f} s", file=sys.stderr)  # fmt: skip

        writer = Writer(settings)
        with writing(writer):
            time.sleep(5)
        idle_lat, idle_fail = list(writer.latencies), list(writer.failures)
        with writing(writer):
            time.sleep(0.5)
            under = create_backup(settings)
            time.sleep(0.2)
        load_lat, load_fail = list(writer.latencies), list(writer.failures)
        under_s = (under.manifest.finished_at - under.manifest.created_at).total_seconds()
        limit = max(10 * statistics.median(shell_times), 30)
        with writing(writer):
            time.sleep(0.5)
            shell_loaded = shell_backup(cli, source, work / "shell-loaded.db", timeout=limit)
        shell_lat, shell_fail = list(writer.latencies), list(writer.failures)

        restored = work / "restored.db"
        restore_s = timed(lambda: copy_database(under.path, restored))

        shell_med = statistics.median(shell_times)
        copy_med = statistics.median(copy_times)
        create_med = statistics.median(create_times)
        rows = [
            ("database size", f"{size / MB:.0f} MB ({fs_type})", ""),
            (f"`sqlite3 .backup` ({cli_version}), idle", f"{shell_med:.2f} s", "baseline"),
            ("Vigia copy (`copy_database`), idle", f"{copy_med:.2f} s",
             f"{copy_med / shell_med:.2f}x (goal <= 1.2x)"),
            ("`PRAGMA integrity_check` + row counts of a copy (timed alone)",
             f"{statistics.median(check_times):.2f} s", "part of `create_backup`"),
            ("sha256 of a copy (timed alone)", f"{statistics.median(hash_times):.2f} s",
             "part of `create_backup`"),
            ("Vigia `create_backup` (copy + integrity_check + counts + sha256 + fsync), idle",
             f"{create_med:.2f} s", f"{create_med / shell_med:.2f}x"),
            ("Vigia `create_backup` with the writer running", f"{under_s:.2f} s",
             f"{under_s / shell_med:.2f}x"),
            ("writer commit latency, no backup (p50 / p99 / max)",
             f"{percentile(idle_lat, 50) * 1000:.1f} / {percentile(idle_lat, 99) * 1000:.1f} / "
             f"{max(idle_lat, default=float('nan')) * 1000:.1f} ms",
             f"{len(idle_lat)} commits, {len(idle_fail)} failed"),
            ("writer commit latency during Vigia's backup (p50 / p99 / max)",
             f"{percentile(load_lat, 50) * 1000:.1f} / {percentile(load_lat, 99) * 1000:.1f} / "
             f"{max(load_lat, default=float('nan')) * 1000:.1f} ms",
             f"{len(load_lat)} commits, {len(load_fail)} failed (goal p99 <= 100 ms, 0 failed)"),
            ("`sqlite3 .backup` with the writer running",
             f"{shell_loaded:.2f} s" if shell_loaded is not None
             else f"not done after {limit:.0f} s",
             f"writer p99 {percentile(shell_lat, 99) * 1000:.1f} ms, {len(shell_fail)} failed"),
            ("restore: backup -> new database file (`copy_database`)", f"{restore_s:.2f} s",
             "the copy step of a restore (a whole restore adds verify, safety backup, swap)"),
        ]  # fmt: skip
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"\nMachine: {machine()}; work folder on {fs_type}; load average {load:.1f}\n")
        print(f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {args.rounds} idle round(s), median\n")
        print("| measurement | value | note |")
        print("|---|---|---|")
        for name, value, note in rows:
            print(f"| {name} | {value} | {note} |")
        for failure in (load_fail + idle_fail + shell_fail)[:5]:
            print(f"failed write: {failure}", file=sys.stderr)
        return 0
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
