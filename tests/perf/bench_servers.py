"""The servers under test: launching Vigia and the bare app, seeding them the same way.

Every server runs as a subprocess in its own session (process group) on loopback, with
its own directory under the benchmark's temp dir. ``LIVE`` lists every server started so
the runner's ``finally`` can stop them all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
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
# servers
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


LIVE: list[Server] = []  # every server started, so the runner's finally can stop them


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


def start_vigia(name: str, workdir: Path, settings: dict[str, str] | None = None) -> Server:
    """Launch `vigia serve` with a fresh VIGIA_HOME; return once the port is published.

    ``settings`` are extra ``VIGIA_*`` variables (the database URL, the cache TTL, ...).
    """
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
    env.update(settings or {})
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


def start_bare(name: str, workdir: Path, database_url: str, synchronous: str = "FULL") -> Server:
    """Seed the bare app's database directly, then launch it with uvicorn."""
    ids, customer_id, user_id = seed_bare_db(database_url)
    port = free_port()
    env = _base_env()
    env.update(
        BARE_DATABASE_URL=database_url,
        BARE_SECRET_KEY=SECRET_KEY,
        BARE_SQLITE_SYNCHRONOUS=synchronous,
    )
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


def seed_bare_db(database_url: str) -> tuple[list[int], int, int]:
    from decimal import Decimal

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from embedded_backend.db.models import Base, Customer, Product, User

    engine = create_engine(database_url)
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
