"""Router registry in-process: each failure kind is recorded, the others still mount."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI

from embedded_backend.routers.registry import RouterRegistry, import_router
from embedded_backend.routers.specs import RouterSpec, resolve_specs
from tests.helpers.router_modules import BROKEN, RouterModules, router_modules


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RouterModules:
    return router_modules(tmp_path, monkeypatch)


def paths(app: FastAPI) -> set[str]:
    return set(app.openapi()["paths"])


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_each_failure_kind_is_recorded_and_isolated(
    modules: RouterModules, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    _, _, error_type = BROKEN[kind]
    specs = resolve_specs(
        f"whatsapp={modules.broken(kind)},cliente={modules.good()}@/api/erp/cliente"
    )
    registry = RouterRegistry(specs)
    app = FastAPI()
    before = datetime.now(UTC)
    with caplog.at_level(logging.INFO, logger="embedded_backend.routers.registry"):
        registry.load_all(app)

    status = registry.get("whatsapp")
    assert status is not None
    assert status.state == "failed" and not status.available
    assert status.error_type == error_type
    assert status.error_message
    assert status.failed_at is not None
    assert before <= status.failed_at <= datetime.now(UTC) + timedelta(seconds=1)
    assert status.as_dict()["status"] == "failed"
    assert [(prefix, s.name) for prefix, s in registry.blocked] == [
        ("/api/v1/whatsapp", "whatsapp")
    ]
    # Everything else is mounted.
    assert [s.name for s in registry.statuses if s.state == "loaded"] == [
        "auth",
        "users",
        "customers",
        "products",
        "orders",
        "admin",
        "backups",
        "monitoring",
        "cliente",
    ]
    assert "/api/erp/cliente/ping" in paths(app)
    assert "/api/v1/products" in paths(app)
    assert not any(p.startswith("/api/v1/whatsapp") for p in paths(app))

    failure = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failure) == 1
    assert "router whatsapp" in failure[0].getMessage()
    assert "its prefix /api/v1/whatsapp answers 503" in failure[0].getMessage()
    assert failure[0].exc_info is not None and failure[0].exc_info[0].__name__ == error_type
    summary = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert "routers loaded: 9 of 10 (failed: whatsapp)" in summary


def test_a_critical_builtin_replaced_by_a_broken_module(modules: RouterModules) -> None:
    registry = RouterRegistry(resolve_specs(f"auth={modules.broken('raises')}"))
    registry.load_all(FastAPI())
    auth = registry.get("auth")
    assert auth is not None and auth.state == "failed" and auth.spec.critical
    assert auth.error_message == "ERP_API_KEY is not configured"


def test_error_messages_are_one_short_line(modules: RouterModules) -> None:
    target = modules.write("raise ValueError('first line\\n' + 'x' * 1000)\n") + ":router"
    registry = RouterRegistry(resolve_specs(f"long={target}"))
    registry.load_all(FastAPI())
    status = registry.get("long")
    assert status is not None and status.error_message == "first line"


def test_import_router_returns_the_router(modules: RouterModules) -> None:
    target = modules.good()
    router = import_router(RouterSpec("x", target, "/x"))
    assert isinstance(router, APIRouter)
    with pytest.raises(TypeError, match=r"is a int, not a fastapi\.APIRouter"):
        import_router(RouterSpec("x", modules.broken("not_a_router"), "/x"))


def test_disable_and_enable_replace_the_blocked_list(modules: RouterModules) -> None:
    registry = RouterRegistry(resolve_specs(f"cliente={modules.good()}@/api/erp/cliente"))
    registry.load_all(FastAPI())
    assert registry.blocked == ()
    status = registry.set_enabled("cliente", enabled=False, actor="maria")
    assert status.disabled and status.disabled_by == "maria" and not status.available
    assert status.as_dict()["status"] == "disabled"
    assert [p for p, _ in registry.blocked] == ["/api/erp/cliente"]
    registry.set_enabled("auth", enabled=False, actor="maria")
    # Longest prefix first, so a nested prefix is matched before a shorter one.
    assert [p for p, _ in registry.blocked] == ["/api/erp/cliente", "/api/v1/auth"]
    registry.set_enabled("cliente", enabled=True, actor="maria")
    status = registry.get("cliente")
    assert status is not None and status.available and status.disabled_by is None
    assert [p for p, _ in registry.blocked] == ["/api/v1/auth"]
    with pytest.raises(KeyError):
        registry.set_enabled("nobody", enabled=False, actor="maria")


def test_a_new_registry_per_app(modules: RouterModules) -> None:
    specs = resolve_specs(f"cliente={modules.good()}")
    first, second = RouterRegistry(specs), RouterRegistry(specs)
    first.load_all(FastAPI())
    second.load_all(FastAPI())
    first.set_enabled("cliente", enabled=False, actor="x")
    status = second.get("cliente")
    assert status is not None and status.available
