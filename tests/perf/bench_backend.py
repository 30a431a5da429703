"""Benchmark: Vigia (`vigia serve`) against a bare FastAPI app doing the same work.

One command (from the repository root)::

    .venv/bin/python tests/perf/bench_backend.py [--duration 10] [--connections 32] [--rounds 2]

It starts both servers as subprocesses on loopback (each with its own temp directory),
seeds both with the same data, drives them alternately with ``wrk`` and prints a Markdown
table plus the machine it ran on. Goals from issue 2 are printed next to the measured
values as met / not met; nothing is adjusted. See tests/perf/README.md.

Vigia runs with the settings a user gets by default; only the secrets
(``VIGIA_ADMIN_TOKEN``, ``VIGIA_SECRET_KEY``), ``VIGIA_HOME`` (a temp dir) and
``VIGIA_PORT=0`` are set, plus ``VIGIA_SQLITE_SYNCHRONOUS=NORMAL`` for the one row that
measures it, and ``VIGIA_RATE_LIMIT_PER_MINUTE=100000000``: the per-user rate limit
(100/min by default) would otherwise answer 429 to all but the first 100 requests of the
single benchmark user; a huge limit keeps the limiter in the stack, counting every
request. ``PYTHON_KEYRING_BACKEND`` points at keyring's "fail" backend so a run never
writes into the desktop keyring of whoever runs it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
WRK_DIR = HERE / "wrk"
PYTHON = sys.executable
VIGIA = str(Path(PYTHON).with_name("vigia"))

ADMIN_TOKEN = "bench-admin-token-" + "a" * 32
SECRET_KEY = "bench-secret-key-" + "b" * 32
BENCH_USER = "bench"
BENCH_PASSWORD = "bench-password-123"
CPF = "529.982.247-25"
N_PRODUCTS = 20
STOCK = 1_000_000_000
ORDER_ITEMS = ((0, 1), (1, 2))  # (index into the seeded products, quantity)

GOAL_READ_RATIO = 0.9
GOAL_ORDERS_RPS = 500.0
GOAL_STARTUP_S = 1.5


# ---------------------------------------------------------------------------------
# small HTTP helpers (stdlib only; loopback)
# ---------------------------------------------------------------------------------
def http(
    method: str,
    url: str,
    *,
    token: str | None = None,
    json_body: Any = None,
    form: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, Any]:
    headers = {"Accept": "application/json"}
    data: bytes | None = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if json_body is not None:
        data = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    try:
        return status, json.loads(body) if body else None
    except ValueError:
        return status, body.decode("utf-8", "replace")


def expect(status: int, body: Any, wanted: int, what: str) -> Any:
    if status != wanted:
        raise RuntimeError(f"{what}: expected HTTP {wanted}, got {status}: {body!r}"[:600])
    return body


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------------
# servers under test
# ---------------------------------------------------------------------------------
@dataclass
class Server:
    name: str
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None
    base: str = ""
    token: str = ""
    product_ids: list[int] = field(default_factory=list)
    customer_id: int = 0
    started_at: float = 0.0
    log_path: Path | None = None

    def order_body(self) -> str:
        items = [{"product_id": self.product_ids[i], "quantity": q} for i, q in ORDER_ITEMS]
        return json.dumps({"customer_id": self.customer_id, "items": items})

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with code {self.proc.returncode}; "
                f"see {self.log_path}:\n{self.tail_log()}"
            )

    def tail_log(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text("utf-8", "replace").splitlines()[-lines:])

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        # Each server runs in its own session (process group) that we created.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


LIVE: list[Server] = []  # every server started, so the finally block can stop them


def _spawn(server: Server, argv: list[str], env: dict[str, str]) -> None:
    server.log_path = server.workdir / f"{server.name}.out"
    log = server.log_path.open("wb")
    server.started_at = time.perf_counter()
    server.proc = subprocess.Popen(
        argv,
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    log.close()
    LIVE.append(server)


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIGIA_", "BARE_"))}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return env


def start_vigia(name: str, workdir: Path, synchronous: str | None = None) -> Server:
    """Launch `vigia serve` with a fresh VIGIA_HOME; return once the port is published."""
    home = workdir / name
    home.mkdir(parents=True)
    env = _base_env()
    env.update(
        VIGIA_HOME=str(home),
        VIGIA_PORT="0",
        VIGIA_ADMIN_TOKEN=ADMIN_TOKEN,
        VIGIA_SECRET_KEY=SECRET_KEY,
        VIGIA_RATE_LIMIT_PER_MINUTE="100000000",
    )
    if synchronous:
        env["VIGIA_SQLITE_SYNCHRONOUS"] = synchronous
    server = Server(name, workdir)
    _spawn(server, [VIGIA, "serve"], env)
    run_file = home / "vigia.run.json"
    deadline = time.monotonic() + 60
    while True:
        server.check_alive()
        with contextlib.suppress(OSError, ValueError, KeyError):
            port = int(json.loads(run_file.read_text("utf-8"))["port"])
            server.base = f"http://127.0.0.1:{port}"
            return server
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name}: no {run_file} after 60 s\n{server.tail_log()}")
        time.sleep(0.005)


def start_bare(name: str, workdir: Path, synchronous: str = "FULL") -> Server:
    """Seed the bare app's database directly, then launch it with uvicorn."""
    db = workdir / f"{name}.db"
    ids, customer_id, user_id = seed_bare_db(db)
    port = free_port()
    env = _base_env()
    env.update(BARE_DB=str(db), BARE_SECRET_KEY=SECRET_KEY, BARE_SQLITE_SYNCHRONOUS=synchronous)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    server = Server(name, workdir, product_ids=ids, customer_id=customer_id)
    _spawn(
        server,
        [
            PYTHON,
            "-m",
            "uvicorn",
            "tests.perf.bare_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--no-server-header",
        ],
        env,
    )
    server.base = f"http://127.0.0.1:{port}"
    bare_token(server, user_id)
    return server


def wait_ready(server: Server, timeout: float = 60.0, poll: float = 0.005) -> float:
    """Poll /readyz until 200; return seconds since the process was launched."""
    deadline = time.monotonic() + timeout
    while True:
        server.check_alive()
        with contextlib.suppress(OSError):
            status, _ = http("GET", server.base + "/readyz", timeout=2.0)
            if status == 200:
                return time.perf_counter() - server.started_at
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{server.name}: /readyz not 200 after {timeout:.0f} s\n{server.tail_log()}"
            )
        time.sleep(poll)


# ---------------------------------------------------------------------------------
# seeding: the same data in both
# ---------------------------------------------------------------------------------
def product_rows() -> list[dict[str, Any]]:
    return [
        {
            "sku": f"BENCH-{i:04d}",
            "name": f"Produto de teste {i}",
            "price": f"{10 + i}.90",
            "stock": STOCK,
        }
        for i in range(N_PRODUCTS)
    ]


def seed_vigia(server: Server) -> None:
    base, admin = server.base, ADMIN_TOKEN
    expect(
        *http(
            "POST",
            base + "/api/v1/users",
            token=admin,
            json_body={"username": BENCH_USER, "password": BENCH_PASSWORD, "role": "staff"},
        ),
        201,
        "create user",
    )
    body = expect(
        *http(
            "POST",
            base + "/api/v1/auth/token",
            form={"username": BENCH_USER, "password": BENCH_PASSWORD},
        ),
        200,
        "log in",
    )
    server.token = body["access_token"]
    body = expect(
        *http(
            "POST",
            base + "/api/v1/customers",
            token=server.token,
            json_body={"name": "Cliente Benchmark", "document": CPF, "email": "bench@example.com"},
        ),
        201,
        "create customer",
    )
    server.customer_id = int(body["id"])
    server.product_ids = []
    for row in product_rows():
        body = expect(
            *http("POST", base + "/api/v1/products", token=server.token, json_body=row),
            201,
            "create product",
        )
        server.product_ids.append(int(body["id"]))


def seed_bare_db(path: Path) -> tuple[list[int], int, int]:
    from decimal import Decimal

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from embedded_backend.db.models import Base, Customer, Product, User

    engine = create_engine(f"sqlite:///{path}")
    try:
        Base.metadata.create_all(engine)
        with Session(engine) as session, session.begin():
            # Vigia stores an argon2 hash; the bare app never logs in, it only looks up.
            user = User(username=BENCH_USER, password_hash="unused", role="staff", is_active=True)
            session.add(user)
            customer = Customer(
                name="Cliente Benchmark",
                document="52998224725",
                document_type="CPF",
                email="bench@example.com",
            )
            session.add(customer)
            products = [
                Product(sku=r["sku"], name=r["name"], price=Decimal(r["price"]), stock=r["stock"])
                for r in product_rows()
            ]
            session.add_all(products)
            session.flush()
            return [p.id for p in products], customer.id, user.id
    finally:
        engine.dispose()


def bare_token(server: Server, user_id: int) -> None:
    """A JWT shaped like Vigia's (sub, name, role, iat, exp; HS256), for the bare app."""
    import jwt

    now = dt.datetime.now(dt.UTC)
    server.token = jwt.encode(
        {
            "sub": str(user_id),
            "name": BENCH_USER,
            "role": "staff",
            "iat": now,
            "exp": now + dt.timedelta(hours=8),
        },
        SECRET_KEY,
        algorithm="HS256",
    )


def smoke(server: Server) -> None:
    """One request of each kind, so a broken setup fails loudly before wrk runs."""
    base = server.base
    expect(*http("GET", base + "/livez"), 200, f"{server.name} /livez")
    expect(
        *http("GET", f"{base}/api/v1/products/{server.product_ids[0]}", token=server.token),
        200,
        f"{server.name} GET product",
    )
    expect(
        *http(
            "POST",
            base + "/api/v1/orders",
            token=server.token,
            json_body=json.loads(server.order_body()),
        ),
        201,
        f"{server.name} POST order",
    )


# ---------------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------------
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


def wait_for_quiet(max_wait: float, threshold: float, ours: list[Server]) -> float:
    """Wait (at most ``max_wait`` s) until other processes use < ``threshold`` % CPU."""
    deadline = time.monotonic() + max_wait
    while True:
        pct = foreign_cpu_pct(1.0, ours)
        if pct < threshold or time.monotonic() >= deadline:
            return pct
        say(f"  machine busy ({pct:.0f}% CPU used by other processes); waiting...")


ENDPOINTS = {
    "livez": ("GET /livez", "livez.lua"),
    "product": ("GET /api/v1/products/{id} (JWT)", "get_product.lua"),
    "order": ("POST /api/v1/orders (JWT)", "post_order.lua"),
}


def run_wrk(
    server: Server, endpoint: str, args: argparse.Namespace, duration: float | None = None
) -> WrkResult:
    server.check_alive()
    script = WRK_DIR / ENDPOINTS[endpoint][1]
    argv = [
        args.wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{int(duration or args.duration)}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        server.base,
    ]
    if endpoint == "product":
        argv += ["--", server.token, ",".join(map(str, server.product_ids))]
    elif endpoint == "order":
        argv += ["--", server.token, server.order_body()]
    assert server.proc is not None
    t0, busy0 = time.monotonic(), machine_busy_s()
    srv0, wrk0 = process_cpu_s(server.proc.pid), children_cpu_s()
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=(duration or args.duration) + 60, check=False
    )
    elapsed = time.monotonic() - t0
    srv = process_cpu_s(server.proc.pid) - srv0
    wrk_cpu = children_cpu_s() - wrk0
    busy = machine_busy_s() - busy0
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}{done.stdout}")
    result = parse_wrk(done.stdout)
    if result.requests:
        result.server_cpu_ms_per_req = 1000.0 * srv / result.requests
    result.foreign_cpu_pct = max(0.0, 100.0 * (busy - srv - wrk_cpu) / (elapsed * NCPU))
    server.check_alive()
    return result


# ---------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------
def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def fmt_rps(v: float) -> str:
    return f"{v:,.0f}"


def fmt_ms(v: float) -> str:
    return f"{v:.2f} ms" if v < 100 else f"{v:.0f} ms"


def met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def machine_info() -> list[str]:
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

    def ver(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    return [
        f"- date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: `nproc` = {nproc}, memory {mem_kb / 1024 / 1024:.1f} GiB, CPU {cpu or '?'}, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; "
        + ", ".join(
            f"{d} {ver(d)}"
            for d in (
                "fastapi",
                "uvicorn",
                "starlette",
                "sqlalchemy",
                "pydantic",
                "uvloop",
                "httptools",
                "pyjwt",
            )
        ),
        f"- load generator: {wrk_version[0] if wrk_version else 'wrk ?'}",
        f"- load average at report time: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        + (
            "; PYTHONDONTWRITEBYTECODE is set (Vigia's own modules are compiled at every start)"
            if os.environ.get("PYTHONDONTWRITEBYTECODE")
            else ""
        ),
    ]


# ---------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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
    p.add_argument("--skip-startup", action="store_true", help="do not time startups")
    p.add_argument("--skip-sync", action="store_true", help="do not compare FULL vs NORMAL")
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
    return args


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def measure_startups(workdir: Path, count: int, max_wait: float, threshold: float) -> list[float]:
    times: list[float] = []
    for i in range(count):
        wait_for_quiet(max_wait, threshold, [])
        server = start_vigia(f"startup-{i}", workdir)
        try:
            times.append(wait_ready(server, poll=0.002))
        finally:
            server.stop()
        say(f"  start {i + 1}/{count}: {times[-1]:.3f} s")
    return times


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="vigia-bench-"))
    # A SIGTERM to the benchmark still runs the finally block below.
    signal.signal(signal.SIGTERM, _interrupt)
    results: dict[tuple[str, str], list[WrkResult]] = {}
    sync_results: dict[str, list[WrkResult]] = {"FULL": [], "NORMAL": []}
    startups: list[float] = []
    try:
        say(f"work dir {workdir}")
        vigia = start_vigia("vigia", workdir)
        bare = start_bare("bare", workdir)
        wait_ready(vigia)
        wait_ready(bare)
        seed_vigia(vigia)
        for server in (vigia, bare):
            smoke(server)
        if args.warmup > 0:
            say("warm-up...")
            for endpoint in ENDPOINTS:
                for server in (vigia, bare):
                    run_wrk(server, endpoint, args, duration=args.warmup)
        for rnd in range(args.rounds):
            for endpoint in ENDPOINTS:
                for server in (vigia, bare):
                    wait_for_quiet(args.max_wait, args.quiet_threshold, [vigia, bare])
                    r = run_wrk(server, endpoint, args)
                    results.setdefault((server.name, endpoint), []).append(r)
                    say(
                        f"  round {rnd + 1} {server.name:5} {endpoint:7} {r.rps:9.1f} req/s "
                        f"p50 {r.p50_ms:7.2f} ms p99 {r.p99_ms:8.2f} ms errors {r.errors} "
                        f"cpu {r.server_cpu_ms_per_req:.2f} ms/req, "
                        f"others {r.foreign_cpu_pct:.0f}%"
                    )
        vigia.stop()
        bare.stop()

        if not args.skip_sync:
            say("synchronous FULL vs NORMAL (fresh Vigia instances, orders only)...")
            full = start_vigia("vigia-full", workdir)
            normal = start_vigia("vigia-normal", workdir, synchronous="NORMAL")
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
                    sync_results[mode].append(r)
                    say(
                        f"  round {rnd + 1} {mode:6} {r.rps:9.1f} req/s p50 {r.p50_ms:7.2f} ms "
                        f"p99 {r.p99_ms:8.2f} ms errors {r.errors} "
                        f"cpu {r.server_cpu_ms_per_req:.2f} ms/req, "
                        f"others {r.foreign_cpu_pct:.0f}%"
                    )
            full.stop()
            normal.stop()

        if not args.skip_startup:
            say(f"timing {args.starts} fresh starts of `vigia serve` to /readyz 200...")
            startups = measure_startups(workdir, args.starts, args.max_wait, args.quiet_threshold)
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

    print_report(args, results, sync_results, startups)
    return 0


def print_report(
    args: argparse.Namespace,
    results: dict[tuple[str, str], list[WrkResult]],
    sync_results: dict[str, list[WrkResult]],
    startups: list[float],
) -> None:
    out: list[str] = []
    everything = [r for rs in results.values() for r in rs]
    everything += [r for rs in sync_results.values() for r in rs]
    out.append(
        f"### Vigia vs bare FastAPI: wrk -t{args.threads} -c{args.connections} "
        f"-d{int(args.duration)}s --latency, {args.rounds} alternating round(s), "
        "mean of rounds"
    )
    out.append("")
    out += machine_info()
    out.append("")
    out.append(
        "| endpoint | Vigia req/s | bare req/s | ratio | Vigia p50 | Vigia p99 | bare p50 "
        "| bare p99 | server CPU ms/req (Vigia / bare) | errors (Vigia / bare) | goal |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for endpoint, (label, _) in ENDPOINTS.items():
        v, b = results.get(("vigia", endpoint), []), results.get(("bare", endpoint), [])
        if not v or not b:
            continue
        v_rps, b_rps = mean([r.rps for r in v]), mean([r.rps for r in b])
        ratio = v_rps / b_rps if b_rps else float("nan")
        v_err, b_err = sum(r.errors for r in v), sum(r.errors for r in b)
        if endpoint == "order":
            goal = f"Vigia ≥ {GOAL_ORDERS_RPS:.0f} req/s: {met(v_rps >= GOAL_ORDERS_RPS)}"
        else:
            goal = f"ratio ≥ {GOAL_READ_RATIO}: {met(ratio >= GOAL_READ_RATIO)}"
        out.append(
            f"| `{label}` | {fmt_rps(v_rps)} | {fmt_rps(b_rps)} | {ratio:.2f} "
            f"| {fmt_ms(mean([r.p50_ms for r in v]))} | {fmt_ms(mean([r.p99_ms for r in v]))} "
            f"| {fmt_ms(mean([r.p50_ms for r in b]))} | {fmt_ms(mean([r.p99_ms for r in b]))} "
            f"| {mean([r.server_cpu_ms_per_req for r in v]):.2f} / "
            f"{mean([r.server_cpu_ms_per_req for r in b]):.2f} "
            f"| {v_err} / {b_err} | {goal} |"
        )
    out.append("")
    if any(sync_results.values()):
        out.append(
            "| Vigia `POST /api/v1/orders` with `VIGIA_SQLITE_SYNCHRONOUS` | req/s | p50 "
            "| p99 | server CPU ms/req | errors | goal ≥ 500 req/s (applies to the "
            "default, FULL) |"
        )
        out.append("|---|---:|---:|---:|---:|---:|---|")
        for mode, rs in sync_results.items():
            if not rs:
                continue
            rps = mean([r.rps for r in rs])
            default = " (default)" if mode == "FULL" else ""
            out.append(
                f"| `{mode}`{default} | {fmt_rps(rps)} | "
                f"{fmt_ms(mean([r.p50_ms for r in rs]))} | "
                f"{fmt_ms(mean([r.p99_ms for r in rs]))} | "
                f"{mean([r.server_cpu_ms_per_req for r in rs]):.2f} | "
                f"{sum(r.errors for r in rs)} | {met(rps >= GOAL_ORDERS_RPS)} |"
            )
        out.append("")
    if startups:
        med = statistics.median(startups)
        out.append(
            f"| `vigia serve` launch → first `/readyz` 200 | median of {len(startups)} "
            "fresh starts (fresh VIGIA_HOME each) | every start | goal |"
        )
        out.append("|---|---:|---|---|")
        out.append(
            f"| startup | {med:.2f} s | {', '.join(f'{t:.2f}' for t in startups)} s "
            f"| ≤ {GOAL_STARTUP_S} s: {met(med <= GOAL_STARTUP_S)} |"
        )
        out.append("")
    out.append(
        "Per run: req/s (p50 / p99 ms; errors = non-2xx/3xx + socket errors; "
        "server CPU ms/req; CPU share of the machine used by other processes):"
    )
    out.append("")

    def cells(rs: list[WrkResult]) -> str:
        return "; ".join(
            f"{r.rps:.0f} ({r.p50_ms:.2f} / {r.p99_ms:.2f} ms, {r.errors} err, "
            f"{r.server_cpu_ms_per_req:.2f} ms/req, others {r.foreign_cpu_pct:.0f}%)"
            for r in rs
        )

    for endpoint in ENDPOINTS:
        for name in ("vigia", "bare"):
            if (name, endpoint) in results:
                out.append(f"- {name} {endpoint}: {cells(results[(name, endpoint)])}")
    for mode, rs in sync_results.items():
        if rs:
            out.append(f"- vigia order synchronous={mode}: {cells(rs)}")
    out.append("")
    errors = sum(r.errors for r in everything)
    noisy = [r for r in everything if r.foreign_cpu_pct >= args.quiet_threshold]
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
            f"The machine was otherwise idle (< {args.quiet_threshold:.0f}% CPU used by "
            "other processes) during every run."
        )
    print("\n".join(out), flush=True)


if __name__ == "__main__":
    sys.exit(main())
