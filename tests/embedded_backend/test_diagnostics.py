"""The support bundle: what is in it, what never is (secrets, the database), the log
size cap, a running vs a stopped backend, and the target path checks."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop.core.alerts import AlertRecord
from desktop.core.categories import Category
from desktop.core.history import HistoryStore
from desktop.core.samples import Sample
from embedded_backend.config import Settings
from embedded_backend.diagnostics import DiagnosticsError, export_diagnostics
from embedded_backend.secrets import ADMIN_TOKEN, DATABASE_PASSWORD, SECRET_KEY, SERVICE
from tests.helpers.live import live_server
from tests.helpers.memory_keyring import MemoryKeyring

KEYRING_TOKEN = "kr-admin-token-QWERTY-0123456789"
KEYRING_KEY = "kr-secret-key-ASDFGH-0123456789"
DB_PASSWORD = "Db-Pa55-ZXCVBN-0123"


def _contents(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _log_line(msg: str, **extra: object) -> str:
    record = {"ts": "2026-11-23T17:00:00.000+00:00", "level": "INFO", "logger": "t", "msg": msg}
    return json.dumps({**record, **extra}) + "\n"


@pytest.fixture
def secrets_everywhere(
    memory_keyring: MemoryKeyring, make_settings: Callable[..., Settings], home: Path
) -> Settings:
    """Secrets in the keyring, in the settings, in the TOML's URL and (as if redaction
    had failed) in the log files: none may reach the zip."""
    memory_keyring.set_password(SERVICE, ADMIN_TOKEN, KEYRING_TOKEN)
    memory_keyring.set_password(SERVICE, SECRET_KEY, KEYRING_KEY)
    memory_keyring.set_password(SERVICE, DATABASE_PASSWORD, DB_PASSWORD)
    home.mkdir(parents=True)
    (home / "vigia.toml").write_text(
        f'[vigia]\nredis_url = "redis://cache:{DB_PASSWORD}@127.0.0.1:1/0"\nlog_level = "INFO"\n',
        encoding="utf-8",
    )
    settings = make_settings()
    settings.paths.ensure()
    leaked = " ".join(
        (
            KEYRING_TOKEN,
            KEYRING_KEY,
            DB_PASSWORD,
            settings.admin_token.get_secret_value() if settings.admin_token else "",
            settings.secret_key.get_secret_value() if settings.secret_key else "",
        )
    )
    settings.paths.backend_log.write_text(
        _log_line("newest line") + _log_line(f"leak {leaked}"), encoding="utf-8"
    )
    settings.paths.backend_log.with_name("backend.jsonl.1").write_text(
        _log_line(f"older leak {leaked}"), encoding="utf-8"
    )
    (settings.paths.home / "vigia.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    return settings


def test_bundle_contents_and_no_secret_anywhere(
    secrets_everywhere: Settings, tmp_path: Path
) -> None:
    settings = secrets_everywhere
    target = tmp_path / "out" / "vigia-diagnostics.zip"
    target.parent.mkdir()
    steps: list[str] = []
    bundle = export_diagnostics(target, settings=settings, progress=steps.append)
    assert bundle.path == target and bundle.size == target.stat().st_size
    files = _contents(target)
    assert {
        "README.txt",
        "settings.json",
        "vigia.toml",
        "preflight.json",
        "backend/health.json",
        "system.json",
        "versions.json",
        "backups.json",
        "logs/backend.jsonl",
        "logs/backend.jsonl.1",
    } <= set(files)
    assert steps == ["settings", "preflight", "backend", "history", "system", "logs"]

    everything = b"\n".join(files.values())
    for secret in (
        KEYRING_TOKEN,
        KEYRING_KEY,
        DB_PASSWORD,
        settings.admin_token.get_secret_value() if settings.admin_token else "?",
        settings.secret_key.get_secret_value() if settings.secret_key else "?",
    ):
        assert secret.encode() not in everything, secret
    # The database is never included, by name or by content.
    assert not [n for n in files if n.endswith((".db", ".sqlite", ".dump"))]
    assert b"SQLite format 3" not in everything
    # The leaks were masked, the lines kept.
    assert b"leak ***" in files["logs/backend.jsonl"]
    assert b"newest line" in files["logs/backend.jsonl"]

    shown = json.loads(files["settings.json"])["settings"]
    assert shown["admin_token"] == "(set)" and shown["secret_key"] == "(set)"
    assert shown["redis_url"] == "redis://cache:***@127.0.0.1:1/0"
    preflight = json.loads(files["preflight.json"])
    assert {c["name"] for c in preflight["checks"]} >= {"python", "database", "secrets"}
    assert json.loads(files["backend/health.json"])["status"] == "not running"
    versions = json.loads(files["versions.json"])
    assert versions["packages"]["fastapi"] and versions["python"]
    assert json.loads(files["system.json"])["memory"]["total_bytes"] > 0
    readme = files["README.txt"].decode()
    assert "logs/backend.jsonl" in readme and "Never included: the database" in readme
    assert "were left out" not in readme


def test_database_password_in_the_url_is_masked(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(database_url=f"postgresql://erp:{DB_PASSWORD}@127.0.0.1:1/erp")
    target = tmp_path / "d.zip"
    export_diagnostics(target, settings=settings)
    files = _contents(target)
    assert DB_PASSWORD.encode() not in b"\n".join(files.values())
    shown = json.loads(files["settings.json"])["settings"]
    assert shown["database_url"] == "postgresql://erp:***@127.0.0.1:1/erp"
    database = next(
        c for c in json.loads(files["preflight.json"])["checks"] if c["name"] == "database"
    )
    assert database["status"] == "fail"


def test_running_backend_health_and_details(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    target = tmp_path / "d.zip"
    with live_server(settings):
        bundle = export_diagnostics(target, settings=settings)
    files = _contents(target)
    health = json.loads(files["backend/health.json"])
    assert health["http_status"] == 200
    assert health["document"]["checks"]["database:responseTime"]
    routers = json.loads(files["backend/routers.json"])
    assert routers["http_status"] == 200 and routers["body"]["items"]
    assert json.loads(files["backend/alerts.json"])["http_status"] == 200
    assert "backend/performance.json" in files and "backend/system-info.json" in files
    assert not bundle.problems


def test_desktop_history_and_alerts(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    settings = make_settings()
    store = HistoryStore.in_home(settings.home)
    now = time.time()
    store.add(Sample(at=now, mono=time.monotonic(), status="pass", latency_ms=12.5))
    store.save_alert(
        AlertRecord(
            id="a1",
            category=Category.DISK,
            subject="disk",
            severity="warning",
            title="Disk almost full",
            message="5% free",
            raised_at=now,
            updated_at=now,
            resolved_at=None,
            muted=False,
            resolved_by=None,
        )
    )
    store.flush()  # the tray is still running: its file is open, in WAL mode
    try:
        target = tmp_path / "d.zip"
        export_diagnostics(target, settings=settings)
    finally:
        store.close()
    files = _contents(target)
    csv = files["desktop/health-history.csv"].decode().splitlines()
    assert csv[0] == "resolution_s,bucket_start_utc,metric,count,mean,min,max"
    assert any(",latency_ms,1,12.500," in line for line in csv)
    alerts = json.loads(files["desktop/alerts.json"])
    assert alerts[0]["title"] == "Disk almost full"
    assert alerts[0]["raised_at"] == datetime.fromtimestamp(now, UTC).isoformat()
    # Read-only: the tray's file was not changed by the export.
    with sqlite3.connect(settings.home / "desktop-history.db") as db:
        assert db.execute("SELECT count(*) FROM alert").fetchone() == (1,)


def test_logs_are_capped_newest_first(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    settings.paths.ensure()
    older = settings.paths.backend_log.with_name("backend.jsonl.1")
    older.write_text("".join(_log_line(f"old {n}") for n in range(1000)), encoding="utf-8")
    settings.paths.backend_log.write_text(
        "".join(_log_line(f"new {n}") for n in range(1000)), encoding="utf-8"
    )
    os.utime(older, (1_700_000_000, 1_700_000_000))
    budget = settings.paths.backend_log.stat().st_size + 500
    target = tmp_path / "d.zip"
    bundle = export_diagnostics(target, settings=settings, log_budget=budget)
    assert bundle.logs_truncated
    files = _contents(target)
    assert files["logs/backend.jsonl"] == settings.paths.backend_log.read_bytes()
    kept = files["logs/backend.jsonl.1"].decode().splitlines()
    assert 0 < len(kept) < 1000
    assert json.loads(kept[-1])["msg"] == "old 999"  # the newest lines, whole
    assert all(json.loads(line) for line in kept)
    assert "were left out" in files["README.txt"].decode()


def test_broken_settings_still_make_a_bundle(home: Path, tmp_path: Path) -> None:
    home.mkdir(parents=True)
    (home / "vigia.toml").write_text("port = [broken\n", encoding="utf-8")
    target = tmp_path / "d.zip"
    bundle = export_diagnostics(target, home=home)
    files = _contents(target)
    assert "not valid TOML" in json.loads(files["settings.json"])["error"]
    assert json.loads(files["preflight.json"])["ok"] is False
    assert "port = [broken" in files["vigia.toml"].decode()
    assert any(p.startswith("settings:") for p in bundle.problems)
    assert "Could not be collected" in files["README.txt"].decode()


def test_target_checks(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    settings = make_settings()
    existing = tmp_path / "there.zip"
    existing.write_bytes(b"keep me")
    with pytest.raises(DiagnosticsError, match=r"already exists.*--force"):
        export_diagnostics(existing, settings=settings)
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(DiagnosticsError, match="is a folder"):
        export_diagnostics(tmp_path, settings=settings)
    with pytest.raises(DiagnosticsError, match="does not exist"):
        export_diagnostics(tmp_path / "no" / "such" / "d.zip", settings=settings)
    with pytest.raises(DiagnosticsError, match=r"must end in \.zip"):
        export_diagnostics(tmp_path / "d.tar", settings=settings)
    export_diagnostics(existing, settings=settings, force=True)
    assert "README.txt" in _contents(existing)
    assert not list(tmp_path.glob(".*.partial"))


def test_port_held_by_the_running_backend_is_explained(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = make_settings(port=port)
    target = tmp_path / "d.zip"
    with live_server(settings):
        export_diagnostics(target, settings=settings)
    checks = json.loads(_contents(target)["preflight.json"])["checks"]
    port_check = next(c for c in checks if c["name"] == "port")
    assert port_check["status"] == "fail"
    assert port_check["note"].startswith("expected: the running Vigia backend")
