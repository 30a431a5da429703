"""10,000 junk request bodies against every operation that takes a body, with the admin token.

The operations come from the server's own ``/openapi.json``; every body is junk (no valid
request is ever sent), so nothing may be created or changed. Every answer must be a 4xx
problem+json without traceback text, and ``/readyz`` must pass throughout.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import psutil

from tests.e2e.process import Spawner, VigiaProcess
from tests.faults.record import FaultRow
from tests.helpers.live import ADMIN_TOKEN

TOTAL = 10_000
WORKERS = 8
SEED = 20240607
CPF = "529.982.247-25"
JSON = "application/json"
PROBLEM = "application/problem+json"
LEAKS = ("Traceback", 'File "', "site-packages", "embedded_backend")
TABLES = ("customers", "products", "orders", "users")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # with path parameters filled in
    content_type: str
    properties: dict[str, Any]  # the body schema's properties (name -> schema)


@dataclass(frozen=True)
class Junk:
    kind: str
    body: bytes
    content_type: str | None


# -- what to send -------------------------------------------------------------------------

WRONG: dict[str, list[Any]] = {  # JSON type -> values of other types that type never accepts
    "string": [[1], {"x": 1}, True, None],
    "integer": ["abc", [], {"x": 1}, 1.5],
    "number": ["abc", [], {"x": 1}],
    "array": ["x", {"x": 1}, 5],
    "object": ["x", [1], 5],
    "boolean": ["maybe", [], {"x": 1}],
}
ANY_WRONG: list[Any] = [{"x": [1]}, [[[]]], "\u0000"]
HUGE = ["1e999", "-1e999", "9" * 5000, "-" + "9" * 400, "1" + "0" * 310 + ".5", "1e-999"]


def _types(schema: dict[str, Any]) -> list[str]:
    if "type" in schema:
        return [schema["type"]]
    return [t for option in schema.get("anyOf", []) for t in _types(option)]


def _wrong_value(rng: random.Random, schema: dict[str, Any]) -> Any:
    types = [t for t in _types(schema) if t != "null"]
    candidates = [v for v in WRONG.get(types[0], ANY_WRONG) if _rejected(v, types)] if types else []
    return rng.choice(candidates or ANY_WRONG)


def _rejected(value: Any, types: list[str]) -> bool:
    """True if ``value`` matches none of ``types`` (so the field, and the body, is invalid)."""
    accepts = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int),
        "number": lambda v: isinstance(v, int | float | str),  # money takes strings
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
        "boolean": lambda v: isinstance(v, bool),
    }
    return value is not None and not any(accepts.get(t, lambda v: True)(value) for t in types)


def _plausible(schema: dict[str, Any]) -> Any:
    kind = (_types(schema) or ["string"])[0]
    return {"string": "Ana", "integer": 1, "number": 1.5, "array": [{"product_id": 1}]}.get(
        kind, {}
    )


def _object_text(fields: dict[str, str]) -> bytes:
    return ("{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}").encode()


def junk_for(op: Operation, rng: random.Random) -> Junk:
    """One junk body for ``op``; every kind is invalid whatever the endpoint."""
    props = op.properties or {"name": {"type": "string"}}
    ct = op.content_type
    wrong = {name: _wrong_value(rng, schema) for name, schema in props.items()}
    kind = rng.choice(
        [
            "random bytes",
            "truncated JSON",
            "wrong types",
            "huge numbers",
            "deep nesting",
            "wrong content-type",
            "invalid UTF-8",
            "not an object",
            "too large",
        ]
    )
    if kind == "random bytes":
        return Junk(kind, rng.randbytes(rng.randint(0, 2000)), ct)
    if kind == "truncated JSON":
        text = json.dumps({name: _plausible(schema) for name, schema in props.items()})
        return Junk(kind, text[: rng.randint(1, len(text) - 1)].encode(), ct)
    if kind == "wrong types":
        return Junk(kind, json.dumps(wrong).encode(), ct)
    if kind == "huge numbers":
        return Junk(kind, _object_text({name: rng.choice(HUGE) for name in props}), ct)
    if kind == "deep nesting":
        depth = rng.choice([200, 1000, 50_000])
        opener, closer = rng.choice([("[", "]"), ('{"a": ', "}")])
        return Junk(kind, (opener * depth + "1" + closer * depth * rng.randint(0, 1)).encode(), ct)
    if kind == "wrong content-type":
        other = rng.choice(
            ["text/plain", "application/xml", "multipart/form-data", "image/png", None]
            + ([JSON, "application/x-www-form-urlencoded"] if ct != JSON else [])
        )
        return Junk(kind, json.dumps(wrong).encode(), other)
    if kind == "invalid UTF-8":
        name = rng.choice(list(props))
        return Junk(kind, b'{"' + name.encode() + b'": "\xff\xfe\xc3(\xa0"}', ct)
    if kind == "not an object":
        return Junk(kind, rng.choice([b"null", b"[]", b'"x"', b"0", b"NaN", b"true"]), ct)
    return Junk(kind, b'{"name": "' + b"x" * 1_100_000 + b'"}', ct)  # over max_body_bytes


# -- the server -----------------------------------------------------------------------------


def _seed(vigia: VigiaProcess) -> dict[str, str]:
    with vigia.client() as c:
        customer = c.post("/api/v1/customers", json={"name": "Ana", "document": CPF})
        product = c.post(
            "/api/v1/products", json={"sku": "P1", "name": "Café", "price": "9.90", "stock": 50}
        )
        assert customer.status_code == 201 and product.status_code == 201, (customer, product)
        order = c.post(
            "/api/v1/orders",
            json={
                "customer_id": customer.json()["id"],
                "items": [{"product_id": product.json()["id"], "quantity": 2}],
            },
        )
        assert order.status_code == 201, order.text
        user = c.post(
            "/api/v1/users",
            json={"username": "maria", "password": "Correct-Horse-Battery-42", "role": "staff"},
        )
        assert user.status_code == 201, user.text
    return {
        "customer_id": str(customer.json()["id"]),
        "product_id": str(product.json()["id"]),
        "order_id": str(order.json()["id"]),
        "user_id": str(user.json()["id"]),
        "backup_id": "20000101-000000-0000",  # no such backup: nothing can be restored
    }


def _snapshot(vigia: VigiaProcess) -> dict[str, Any]:
    with vigia.client() as c:
        return {t: c.get(f"/api/v1/{t}", params={"limit": 100}).json() for t in TABLES}


def _operations(vigia: VigiaProcess, ids: dict[str, str]) -> list[Operation]:
    with vigia.client() as c:
        spec = c.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    ops = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            if not isinstance(op, dict) or "requestBody" not in op:
                continue
            content_type, media = next(iter(op["requestBody"]["content"].items()))
            schema = media.get("schema", {})
            if "$ref" in schema:
                schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
            filled = path.format(**ids)
            ops.append(
                Operation(method.upper(), filled, content_type, schema.get("properties", {}))
            )
    return ops


@dataclass
class Outcome:
    statuses: Counter[int]
    details: dict[int, str]
    bad: list[str]


def _fire(vigia: VigiaProcess, plan: list[tuple[Operation, Junk]]) -> Outcome:
    local = threading.local()
    clients: list[httpx.Client] = []
    lock = threading.Lock()
    outcome = Outcome(Counter(), {}, [])

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(
                base_url=vigia.url, timeout=60, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
            )
            with lock:
                clients.append(local.client)
        c: httpx.Client = local.client
        return c

    def send(item: tuple[Operation, Junk]) -> None:
        op, junk = item
        headers = {"Content-Type": junk.content_type} if junk.content_type else {}
        r = client().request(op.method, op.path, content=junk.body, headers=headers)
        problem = None
        if r.status_code >= 500 or r.status_code < 400:
            problem = "status"
        elif not r.headers.get("content-type", "").startswith(PROBLEM):
            problem = "content-type"
        elif any(leak in r.text for leak in LEAKS):
            problem = "leak"
        try:
            detail = str(r.json().get("detail", ""))
        except ValueError:
            detail, problem = "", problem or "not JSON"
        with lock:
            outcome.statuses[r.status_code] += 1
            outcome.details.setdefault(r.status_code, detail)
            if problem:
                outcome.bad.append(
                    f"{problem}: {op.method} {op.path} {junk.kind} {junk.body[:80]!r} -> "
                    f"{r.status_code} {r.text[:300]}"
                )

    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(send, plan))
    finally:
        for c in clients:
            c.close()
    return outcome


@dataclass
class ReadyWatch:
    probes: int = 0
    failures: int = 0


@contextmanager
def _watch_ready(vigia: VigiaProcess) -> Iterator[ReadyWatch]:
    """Probe /readyz every 0.5 s while the block runs."""
    watch = ReadyWatch()
    stop = threading.Event()

    def loop() -> None:
        with httpx.Client(base_url=vigia.url, timeout=10) as c:
            while not stop.wait(0.5):
                watch.probes += 1
                if c.get("/readyz").status_code != 200:
                    watch.failures += 1

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield watch
    finally:
        stop.set()
        thread.join(15)


def _mb(vigia: VigiaProcess) -> float:
    return float(psutil.Process(vigia.proc.pid).memory_info().rss) / 2**20


def test_junk_bodies_on_every_operation(spawn: Spawner, fault: Callable[[str], FaultRow]) -> None:
    row = fault(
        "10,000 junk request bodies (random bytes, truncated JSON, wrong types, huge numbers, "
        "deep nesting, wrong content-type, invalid UTF-8) on every operation with a body"
    )
    vigia = spawn.start(
        "serve",
        env={
            "VIGIA_DOCS_ENABLED": "true",
            "VIGIA_RATE_LIMIT_PER_MINUTE": "0",  # every request must reach the endpoint
            "VIGIA_HEALTH_CACHE_S": "0",
        },
    )
    ids = _seed(vigia)
    ops = _operations(vigia, ids)
    assert len(ops) >= 9, [op.path for op in ops]  # users, customers, products, orders, ...
    before = _snapshot(vigia)
    rng = random.Random(SEED)
    plan = [(op, junk_for(op, rng)) for op in (ops[i % len(ops)] for i in range(TOTAL))]
    kinds = Counter(junk.kind for _, junk in plan)

    rss_before = _mb(vigia)
    started = time.monotonic()
    with _watch_ready(vigia) as watch:
        outcome = _fire(vigia, plan)
    seconds = time.monotonic() - started
    rss_after = _mb(vigia)

    assert not outcome.bad, f"{len(outcome.bad)} bad answers, e.g.:\n" + "\n".join(outcome.bad[:10])
    assert sum(outcome.statuses.values()) == TOTAL
    assert watch.probes > 0 and watch.failures == 0, watch
    assert vigia.proc.poll() is None
    with vigia.client(token=None) as c:
        assert c.get("/readyz").status_code == 200
    after = _snapshot(vigia)
    assert after == before  # nothing created, changed or deleted

    for status in sorted(outcome.details):
        row.sees(f"{status}: {outcome.details[status]}")
    row.recovery_is(
        f"nothing to recover: {TOTAL} requests over {len(ops)} operations in {seconds:.1f} s "
        f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}), answers "
        f"{dict(sorted(outcome.statuses.items()))}, 0 5xx; /readyz passed {watch.probes} of "
        f"{watch.probes} probes; RSS {rss_before:.0f} -> {rss_after:.0f} MB"
    )
    counts = "/".join(str(before[t]["total"]) for t in TABLES)
    row.lost(f"nothing: {'/'.join(TABLES)} unchanged ({counts} rows, same content, before/after)")
