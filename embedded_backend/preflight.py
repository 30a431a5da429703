"""Preflight checks, shared by ``vigia check`` and the tray: each says what to do when it fails."""

from __future__ import annotations

import importlib
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

from sqlalchemy import Engine

from embedded_backend.config import Settings
from embedded_backend.db.engine import create_db_engine, describe
from embedded_backend.db.migrate import current_revision, head_revision, known_revisions
from embedded_backend.db.urls import parse_database_url, sqlite_file
from embedded_backend.errors import Error, PortInUseError
from embedded_backend.netutil import bind_socket
from embedded_backend.routers.registry import import_router
from embedded_backend.routers.specs import resolve_specs
from embedded_backend.secrets import ADMIN_TOKEN, Keyring

Status = Literal["pass", "warn", "fail"]

REQUIRED_PACKAGES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "pydantic",
    "pydantic_settings",
    "sqlalchemy",
    "alembic",
    "keyring",
    "tenacity",
    "asgi_correlation_id",
    "jwt",
    "argon2",
    "python_multipart",
    "psutil",
    "httpx",
    "platformdirs",
)
MIN_PYTHON = (3, 11)


@dataclass
class CheckResult:
    name: str
    status: Status
    message: str
    fix: str | None = None
    ms: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def check_python(settings: Settings) -> CheckResult:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] < MIN_PYTHON:
        return CheckResult(
            "python", "fail", f"Python {version} is too old", "install Python 3.11 or newer"
        )
    return CheckResult("python", "pass", f"Python {version}")


def check_packages(settings: Settings) -> CheckResult:
    missing = []
    for name in REQUIRED_PACKAGES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        return CheckResult(
            "packages",
            "fail",
            f"missing packages: {', '.join(missing)}",
            "reinstall Vigia (pip install -c constraints.txt -e .)",
        )
    return CheckResult("packages", "pass", f"{len(REQUIRED_PACKAGES)} required packages import")


def check_data_dirs(settings: Settings) -> CheckResult:
    paths = settings.paths
    try:
        paths.ensure()
        for directory in (paths.home, paths.logs, paths.backups):
            with tempfile.TemporaryFile(dir=directory):
                pass
    except OSError as exc:
        return CheckResult(
            "data_dirs",
            "fail",
            f"cannot write to {exc.filename or paths.home}: {exc.strerror}",
            "give your user write access to that folder, or set VIGIA_HOME",
        )
    return CheckResult("data_dirs", "pass", f"{paths.home} is writable")


def _engine(settings: Settings) -> Engine:
    return create_db_engine(settings.model_copy(update={"db_pool_size": 1}))


def check_database(settings: Settings) -> CheckResult:
    try:
        url = parse_database_url(settings.effective_database_url)
    except Error as exc:
        return CheckResult("database", "fail", str(exc), "fix VIGIA_DATABASE_URL")
    if url.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path is not None and not path.exists():
            return CheckResult(
                "database", "pass", f"{path} does not exist yet; it is created on first start"
            )
    try:
        engine = _engine(settings)
    except Error as exc:
        return CheckResult("database", "fail", str(exc), "fix VIGIA_DATABASE_URL")
    try:
        started = time.perf_counter()
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        ms = (time.perf_counter() - started) * 1000
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        orig = getattr(exc, "orig", None) or exc
        first = (str(orig).strip().splitlines() or [""])[0][:200]
        return CheckResult(
            "database",
            "fail",
            f"cannot reach {describe(engine)}: {type(orig).__name__}: {first}",
            "start the database server or correct VIGIA_DATABASE_URL",
        )
    finally:
        engine.dispose()
    return CheckResult("database", "pass", f"SELECT 1 on {describe(engine)} in {ms:.1f} ms")


def check_migrations(settings: Settings) -> CheckResult:
    try:
        url = parse_database_url(settings.effective_database_url)
    except Error:
        return CheckResult("migrations", "warn", "not checked: the database URL is not usable")
    path = sqlite_file(url) if url.get_backend_name() == "sqlite" else None
    if path is not None and not path.exists():
        return CheckResult("migrations", "pass", "the schema is created on first start")
    head = head_revision()
    try:
        engine = _engine(settings)
        try:
            current = current_revision(engine)
        finally:
            engine.dispose()
    except Exception:  # noqa: BLE001 - reported by the database check
        return CheckResult("migrations", "warn", "not checked: the database is unreachable")
    if current == head:
        return CheckResult("migrations", "pass", f"schema at head ({head})")
    if current is not None and current not in known_revisions():
        return CheckResult(
            "migrations",
            "fail",
            f"the database schema ({current}) is newer than this Vigia ({head})",
            "install the Vigia version that created this database",
        )
    return CheckResult(
        "migrations",
        "warn",
        f"schema at {current or 'empty'}, head is {head}; it is migrated on the next start",
    )


def check_secrets(settings: Settings) -> CheckResult:
    if settings.admin_token:
        return CheckResult("secrets", "pass", "admin token set in the environment")
    store = Keyring()
    if store.get(ADMIN_TOKEN):
        return CheckResult("secrets", "pass", "admin token stored in the system keyring")
    if store.unavailable_reason:
        return CheckResult(
            "secrets",
            "warn",
            f"no keyring ({store.unavailable_reason}); the admin token will change at every start",
            "set VIGIA_ADMIN_TOKEN and VIGIA_SECRET_KEY, or install a keyring",
        )
    return CheckResult("secrets", "pass", "admin token will be generated on first start")


def check_routers(settings: Settings) -> CheckResult:
    try:
        specs = resolve_specs(settings.routers)
    except Error as exc:
        return CheckResult("routers", "fail", str(exc), "correct VIGIA_ROUTERS")
    failed = []
    for spec in specs:
        try:
            import_router(spec)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - reported, not raised
            failed.append(f"{spec.name} ({type(exc).__name__}: {str(exc)[:120]})")
    if failed:
        critical = any(s.critical for s in specs if any(f.startswith(s.name + " ") for f in failed))
        return CheckResult(
            "routers",
            "fail",
            f"{len(failed)} of {len(specs)} routers cannot be imported: " + "; ".join(failed),
            "fix or remove those modules "
            + (
                "(a critical router failed: the backend reports 'fail' until then)"
                if critical
                else "(they answer 503 until then)"
            ),
        )
    return CheckResult("routers", "pass", f"all {len(specs)} routers import")


def check_port(settings: Settings) -> CheckResult:
    if settings.port == 0:
        return CheckResult("port", "pass", "port 0: a free port is picked at start")
    try:
        bind_socket(settings.host, settings.port, retry_s=0).close()
    except PortInUseError as exc:
        return CheckResult(
            "port", "fail", str(exc), "stop the program holding the port or set VIGIA_PORT"
        )
    except OSError as exc:
        return CheckResult(
            "port",
            "fail",
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}",
            "check VIGIA_HOST",
        )
    return CheckResult("port", "pass", f"{settings.host}:{settings.port} is free")


CHECKS: tuple[Callable[[Settings], CheckResult], ...] = (
    check_python,
    check_packages,
    check_data_dirs,
    check_database,
    check_migrations,
    check_secrets,
    check_routers,
    check_port,
)


def run_checks(settings: Settings) -> list[CheckResult]:
    results = []
    for check in CHECKS:
        started = time.perf_counter()
        try:
            result = check(settings)
        except Exception as exc:  # noqa: BLE001 - a broken check must not hide the others
            name = check.__name__.removeprefix("check_")
            result = CheckResult(
                name,
                "fail",
                f"the check itself failed ({type(exc).__name__})",
                "report this with the log file",
            )
        result.ms = round((time.perf_counter() - started) * 1000, 1)
        results.append(result)
    return results
