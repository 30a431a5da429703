"""Shared fixtures: a temp VIGIA_HOME, an in-memory keyring, settings, scratch databases,
and a live backend on a real uvicorn (port 0)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest

from embedded_backend.config import Settings, load_settings
from tests.helpers.databases import BACKENDS, scratch_database
from tests.helpers.live import ADMIN_TOKEN, SECRET_KEY, LiveServer, live_server
from tests.helpers.memory_keyring import MemoryKeyring


# Every VIGIA_* variable of the developer's shell is removed so tests see only what they set.
@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("VIGIA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("VIGIA_HOME", str(tmp_path / "home"))


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def make_settings(home: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "home": home,
            "port": 0,
            "admin_token": ADMIN_TOKEN,
            "secret_key": SECRET_KEY,
            "log_console": False,
            "port_retry_s": 0,
            "db_startup_retry_s": 2,
            # Tests send far more than 100 requests a minute as one token; the protection
            # tests turn the limit on explicitly.
            "rate_limit_per_minute": 0,
            # A daily backup firing mid-test would race other tests' assertions; the
            # schedule's own tests turn it on.
            "backup_schedule_enabled": False,
        }
        values.update(overrides)
        return load_settings(**values)

    return make


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs on SQLite, PostgreSQL and MariaDB (real servers)."""
    if request.param != "sqlite":
        request.applymarker(getattr(pytest.mark, request.param))
    with scratch_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def server(make_settings: Callable[..., Settings], database_url: str) -> Iterator[LiveServer]:
    with live_server(make_settings(database_url=database_url)) as live:
        yield live


@pytest.fixture
def sqlite_server(make_settings: Callable[..., Settings]) -> Iterator[LiveServer]:
    with live_server(make_settings()) as live:
        yield live
