"""Settings in the audit log: ``settings.initial`` on the first start, ``settings.change``
with before/after when a later start has other settings, nothing when they are the same;
never a secret, never a database password."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from embedded_backend.config import Settings
from embedded_backend.config.settings import SECRET_FIELDS
from embedded_backend.db.database import Database
from embedded_backend.db.migrate import migrate_to_head
from embedded_backend.db.models import AuditLog
from embedded_backend.settings_audit import AUDITED, record_settings, snapshot
from tests.helpers.databases import postgresql_database
from tests.helpers.live import ADMIN_TOKEN, SECRET_KEY, LiveServer, live_server


def _settings_rows(live: LiveServer) -> list[dict[str, Any]]:
    with live.client() as admin:
        r = admin.get("/api/v1/admin/audit", params={"action": "settings.*"})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _all_rows_text(db: Database) -> str:
    with db.read_session() as session:
        rows = session.scalars(select(AuditLog)).all()
        return "\n".join(repr((r.actor, r.action, r.target, r.detail, r.note)) for r in rows)


def test_snapshot_is_an_explicit_list_without_secrets(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(
        database_url="postgresql://vigia:pw-db-123@db.local:5432/vigia?password=pw-query-456",
        redis_url="redis://:pw-redis-789@cache:6379/0",
    )
    snap = snapshot(settings)

    text = json.dumps(snap)
    for secret in ("pw-db-123", "pw-query-456", "pw-redis-789", ADMIN_TOKEN, SECRET_KEY):
        assert secret not in text, secret
    assert snap["database_url"] == "postgresql://vigia:***@db.local:5432/vigia?password=***"
    assert snap["redis_url"] == "redis://:***@cache:6379/0"

    assert set(AUDITED) <= Settings.model_fields.keys()  # no typo hides a setting
    assert set(snap) == {*AUDITED, "database_url", "redis_url", "backup_dir"}
    assert not SECRET_FIELDS & snap.keys()
    assert "home" not in snap
    assert snap["cache_ttl_s"] == 30.0 and snap["trusted_hosts"] == []


def test_default_database_is_the_file_in_home(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    assert snapshot(settings)["database_url"] == f"sqlite:///{settings.paths.database}"
    assert snapshot(settings)["redis_url"] is None


def test_initial_then_change_then_nothing(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    settings.paths.ensure()
    db = Database(settings)
    try:
        migrate_to_head(db.engine)
        assert record_settings(db, settings) == "settings.initial"
        assert record_settings(db, settings) is None
        changed = make_settings(cache_ttl_s=5, cors_origins="https://erp.local")
        assert record_settings(db, changed) == "settings.change"
        assert record_settings(db, changed) is None
        with db.read_session() as session:
            rows = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
            assert [(r.actor, r.action) for r in rows] == [
                ("vigia", "settings.initial"),
                ("vigia", "settings.change"),
            ]
            assert rows[1].detail == {
                "changes": {
                    "cache_ttl_s": {"before": 30.0, "after": 5.0},
                    "cors_origins": {"before": [], "after": ["https://erp.local"]},
                },
                "settings": snapshot(changed),
            }
    finally:
        db.dispose()


def test_a_failure_is_logged_and_the_start_goes_on(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings()
    settings.paths.ensure()
    db = Database(settings)  # never migrated: there is no audit_log table to read
    try:
        with caplog.at_level(logging.WARNING, logger="embedded_backend.settings_audit"):
            assert record_settings(db, settings) is None
    finally:
        db.dispose()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "could not compare the settings with the audit log" in warnings[0]
    assert "starting anyway" in warnings[0]


def test_restarts_record_changes_once(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three starts on one database: first ever, changed (environment and a flag), same."""
    with live_server(make_settings()) as live:
        rows = _settings_rows(live)
        assert [(r["actor"], r["action"]) for r in rows] == [("vigia", "settings.initial")]
        assert rows[0]["detail"] == {"settings": snapshot(live.settings)}

    monkeypatch.setenv("VIGIA_CACHE_TTL_S", "5")
    with live_server(make_settings(slow_query_s=0.25)) as live:
        rows = _settings_rows(live)
        assert [r["action"] for r in rows] == ["settings.change", "settings.initial"]
        assert rows[0]["actor"] == "vigia"
        assert rows[0]["detail"]["changes"] == {
            "cache_ttl_s": {"before": 30.0, "after": 5.0},
            "slow_query_s": {"before": 1.0, "after": 0.25},
        }
        assert rows[0]["detail"]["settings"]["cache_ttl_s"] == 5.0

    with live_server(make_settings(slow_query_s=0.25)) as live:
        assert [r["action"] for r in _settings_rows(live)] == [
            "settings.change",
            "settings.initial",
        ]


@pytest.mark.postgresql
def test_database_password_never_reaches_the_audit_log(
    make_settings: Callable[..., Settings],
) -> None:
    # The test server trusts local connections, so the password is accepted and unused.
    with postgresql_database() as url:
        with_password = url.replace("postgres@", "postgres:pw-banco-secreta-42@", 1)
        assert "pw-banco-secreta-42" in with_password
        with live_server(make_settings(database_url=with_password)) as live:
            rows = _settings_rows(live)
            assert [r["action"] for r in rows] == ["settings.initial"]
            recorded = rows[0]["detail"]["settings"]["database_url"]
            assert recorded.startswith("postgresql+psycopg://postgres:***@127.0.0.1:5432/")
            with live.client() as admin:
                assert "pw-banco-secreta-42" not in admin.get("/api/v1/admin/audit").text
            state = live.runner.state
            assert state is not None
            assert "pw-banco-secreta-42" not in _all_rows_text(state.db)
