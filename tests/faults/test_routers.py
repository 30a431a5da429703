"""Faults in the ERP's own router modules: broken at import, or failing on every request.

A broken module is written into a folder on the child's ``PYTHONPATH`` (copied from the
broken fixtures in ``tests/e2e/fixtures``), served, observed, then *fixed in place* and
the server restarted on the same home: the restart is the measured recovery.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.process import FIXTURES, REPO, Spawner, VigiaProcess
from tests.faults.record import FaultRow

PROBLEM = "application/problem+json"
CPF = "529.982.247-25"
MODULE = "vendas"  # the ERP's router module, as a file in a folder on PYTHONPATH


@dataclass(frozen=True)
class Broken:
    fault: str
    fixture: str  # the file in tests/e2e/fixtures whose text the module starts with
    attribute: str
    error_type: str  # what the health document and the 503 must name
    advice: str  # what the health document must tell the administrator to do
    prefix: str | None = None  # None: the default /api/v1/<name>


BROKEN = {
    "syntax": Broken(
        "ERP router module with a syntax error",
        "fx_syntax",
        "router",
        "SyntaxError",
        "vendas.py and restart Vigia",
    ),
    "missing": Broken(
        "ERP router module needs a package that is not installed",
        "fx_missing",
        "router",
        "ModuleNotFoundError",
        "vendas needs it: install it and restart Vigia",
        prefix="/api/erp/whatsapp",
    ),
    "raises": Broken(
        "ERP router module raises an exception at import",
        "fx_raises",
        "router",
        "RuntimeError",
        "WHATSAPP_API_KEY is not configured",  # the module's own words
    ),
    "badattr": Broken(
        "ERP router attribute is not an APIRouter",
        "fx_badattr",
        "router",
        "TypeError",
        "point 'badattr' in VIGIA_ROUTERS at a fastapi.APIRouter",
    ),
    "noattr": Broken(
        "ERP router attribute missing from its module",
        "fx_cliente",
        "no_such_router",
        "AttributeError",
        "check the attribute name of 'noattr' in VIGIA_ROUTERS",
    ),
}


def _assert_problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    assert body["request_id"] == r.headers["x-request-id"]
    assert "Traceback" not in r.text and ".py" not in r.text, r.text
    return body


def _env(modules: Path, routers: str) -> dict[str, str]:
    return {
        "VIGIA_ROUTERS": routers,
        "VIGIA_HEALTH_CACHE_S": "0",
        "PYTHONPATH": os.pathsep.join([str(modules), str(FIXTURES), str(REPO)]),
    }


def _fixed_source(attribute: str) -> str:
    """The module after the fix: a working ERP router (fx_cliente) under the right name."""
    source = (FIXTURES / "fx_cliente.py").read_text(encoding="utf-8")
    return source + (f"\n{attribute} = router\n" if attribute != "router" else "")


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_router_module_broken_at_import(spawn: Spawner, fault: Any, kind: str) -> None:
    broken = BROKEN[kind]
    row: FaultRow = fault(broken.fault)
    modules = spawn.base / "modules"
    modules.mkdir()
    source = modules / f"{MODULE}.py"
    source.write_text((FIXTURES / f"{broken.fixture}.py").read_text(encoding="utf-8"), "utf-8")
    name = kind
    prefix = broken.prefix or f"/api/v1/{name}"
    spec = f"{name}={MODULE}:{broken.attribute}" + (f"@{prefix}" if broken.prefix else "")
    env = _env(modules, spec)

    vigia = spawn.start("serve", env=env)
    with vigia.client() as c:
        # /readyz stays 200 (warn) and names the router, the error and where.
        ready = c.get("/readyz")
        assert ready.status_code == 200, ready.text
        doc = ready.json()
        assert doc["status"] == "warn"
        assert f"{name}: {broken.error_type}" in doc["output"], doc["output"]
        assert broken.advice in doc["output"], doc["output"]
        entry = {e["componentId"]: e for e in doc["checks"]["routers:loaded"]}[name]
        assert entry["status"] == "warn" and entry["prefix"] == prefix
        row.sees(doc["output"])

        # Every path under the prefix, any method: 503 problem+json naming the router.
        for path in (prefix, f"{prefix}/", f"{prefix}/anything/at/all"):
            body = _assert_problem(c.get(path), 503)
            assert body["router"] == name and broken.error_type in body["detail"]
        r = c.post(prefix, json={})
        body = _assert_problem(r, 503)
        assert r.headers["retry-after"].isdigit() and int(r.headers["retry-after"]) > 0
        row.sees(body["detail"])

        # The rest of the ERP API keeps serving; unknown paths stay plain 404s.
        created = c.post("/api/v1/customers", json={"name": "Ana", "document": CPF})
        assert created.status_code == 201, created.text
        assert c.get("/api/v1/products").status_code == 200
        _assert_problem(c.get(f"{prefix}x"), 404)  # prefixes match whole path segments
        _assert_problem(c.get("/api/v1/nobody"), 404)

        # The admin API lists the failure with its time.
        items = {i["name"]: i for i in c.get("/api/v1/admin/routers").json()["items"]}
        assert items[name]["status"] == "failed" and items[name]["failed_at"]
        assert items[name]["error_type"] == broken.error_type
    # The traceback goes to the log, for the administrator.
    record = vigia.wait_for_log(
        lambda r: r["msg"].startswith(f"router {name} (") and "failed to load" in r["msg"]
    )
    assert record["level"] == "ERROR"
    assert "Traceback" in record["exc"] and broken.error_type in record["exc"]
    assert vigia.terminate() == 0

    # Fix the module in place and restart on the same home.
    source.write_text(_fixed_source(broken.attribute), encoding="utf-8")
    started = time.monotonic()
    fixed = spawn.start("serve", env=env, home=vigia.home)
    with fixed.client() as c:
        deadline = started + 30
        while c.get(f"{prefix}/ping").status_code != 200:
            assert time.monotonic() < deadline, "the fixed router never answered"
            time.sleep(0.05)
        assert fixed.wait_ready()["status"] == "pass"
        seconds = time.monotonic() - started
        assert c.get(f"{prefix}/total").json() == {"clientes": 1, "user": "admin-token"}
    row.recovered(
        seconds,
        "the rest of the API never went down; fixing the module and restarting brings it back",
    )
    row.lost("nothing: 1 of 1 customers written while the router was broken still there")


LEAKS = ("s3cr3t", "Traceback", "fx_boom", "line ")
FAILING = {
    "/api/v1/boom/value-error": "ValueError",
    "/api/v1/boom/unbound": "UnboundLocalError",
    "/api/v1/boom/async-error": "ZeroDivisionError",
}


def test_router_raises_on_every_request(spawn: Spawner, fault: Any) -> None:
    row: FaultRow = fault("ERP router raises an exception on every request")
    vigia: VigiaProcess = spawn.start("serve", env={"VIGIA_ROUTERS": "boom=fx_boom:router"})
    failures = 0
    with vigia.client() as c:
        for path, exc_type in FAILING.items():
            r = c.get(path)
            body = _assert_problem(r, 500)
            failures += 1
            request_id = r.headers["x-request-id"]
            assert re.fullmatch(r"[0-9a-f]{32}", request_id)
            for leak in (*LEAKS, exc_type):
                assert leak not in r.text, f"{leak!r} leaked into the 500 body: {r.text}"
            assert set(body) <= {"type", "title", "status", "detail", "request_id"}
            record = vigia.wait_for_log(
                lambda rec, rid=request_id: rec.get("request_id") == rid and "exc" in rec
            )
            assert record["level"] == "ERROR"
            assert "Traceback (most recent call last)" in record["exc"]
            assert exc_type in record["exc"] and "fx_boom.py" in record["exc"]
        row.sees(f"{body['detail']} (request_id {body['request_id']})")

        # Many failures in a row, and a response that breaks half-way: the server lives.
        created = c.post("/api/v1/customers", json={"name": "Ana", "document": CPF})
        assert created.status_code == 201, created.text
        for _ in range(20):
            assert c.get("/api/v1/boom/unbound").status_code == 500
            assert c.get("/api/v1/boom/async-error").status_code == 500
            failures += 2
        with pytest.raises(httpx.HTTPError):
            c.get("/api/v1/boom/stream-error").json()
        failures += 1
        assert c.get("/livez").status_code == 200
        assert c.get("/readyz").status_code == 200
        customers = c.get("/api/v1/customers").json()
        assert customers["total"] == 1 and customers["items"][0]["id"] == created.json()["id"]
    assert vigia.proc.poll() is None
    row.recovery_is(
        f"nothing to recover: after {failures} failing requests the process still serves, "
        "/readyz passes and the rest of the API answers"
    )
    row.lost("nothing: 1 of 1 customers written between the failures still there")
