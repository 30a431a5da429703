"""MariaDB backups against the real server: mariadb-dump --single-transaction, the
completion marker, a test restore into a scratch database; the password only in
MYSQL_PWD."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest
from sqlalchemy.engine import make_url

from embedded_backend.backup import (
    ToolMissing,
    create_backup,
    list_backups,
    verify_backup,
)
from embedded_backend.backup.create import sha256_of
from embedded_backend.config import Settings
from embedded_backend.db.migrate import SCHEMA_HEAD
from tests.embedded_backend.backup.conftest import recording_shim

pytestmark = pytest.mark.mariadb


def _root() -> pymysql.Connection:  # type: ignore[type-arg]
    return pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)


def test_dump_manifest_and_checks(maria_settings: Settings) -> None:
    backup = create_backup(maria_settings)
    assert backup.path.name.endswith(".sql")
    assert backup.path.read_bytes().rstrip().splitlines()[-1].startswith(b"-- Dump completed")
    m = backup.manifest
    assert m.source == "mariadb" and m.schema_revision == SCHEMA_HEAD
    assert m.row_counts is not None and m.row_counts["products"] == 3
    assert [c.name for c in m.checks] == ["completion marker", "test restore"]
    with _root().cursor() as cur:
        cur.execute("SHOW DATABASES LIKE 'vigia\\_scratch\\_%'")
        assert cur.fetchall() == ()  # the scratch database was dropped


def test_verify_light_and_deep(maria_settings: Settings) -> None:
    backup = create_backup(maria_settings)
    light = verify_backup(maria_settings, backup.id)
    assert light.ok and [c.name for c in light.checks] == ["size", "sha256", "completion marker"]
    deep = verify_backup(maria_settings, backup.id, deep=True)
    assert deep.ok
    assert [c.name for c in deep.checks][-3:] == ["test restore", "row_counts", "schema_revision"]


def test_dump_cut_short(maria_settings: Settings) -> None:
    """Cut before the completion marker, checksum taken afterwards: only the marker
    shows it (a truncated file with the old checksum fails earlier, on its size)."""
    backup = create_backup(maria_settings)
    text = backup.path.read_bytes()
    backup.path.write_bytes(text[: text.rindex(b"-- Dump completed") - 200])
    report = verify_backup(maria_settings, backup.id)
    assert not report.ok and report.problem is not None and "is truncated" in report.problem
    manifest = backup.manifest.model_copy(
        update={"size": backup.path.stat().st_size, "sha256": sha256_of(backup.path)}
    )
    backup.manifest_path.write_bytes(manifest.to_json())
    report = verify_backup(maria_settings, backup.id)
    assert not report.ok and report.problem is not None
    assert "the dump is cut short" in report.problem
    assert list_backups(backup.path.parent).backups == ()


@pytest.fixture
def user_with_password(maria_settings: Settings) -> Iterator[tuple[str, str]]:
    """A MariaDB account with a password and rights on the test and scratch databases."""
    name, password = f"vigia_u_{secrets.token_hex(4)}", f"Pw-{secrets.token_hex(8)}"
    database = make_url(maria_settings.effective_database_url).database
    with _root().cursor() as cur:
        cur.execute(f"CREATE USER '{name}'@'%%' IDENTIFIED BY %s", (password,))
        cur.execute(f"GRANT ALL ON `{database}`.* TO '{name}'@'%'")  # no args: % as is
        cur.execute(f"GRANT ALL ON `vigia\\_scratch\\_%`.* TO '{name}'@'%'")
    try:
        yield name, password
    finally:
        with _root().cursor() as cur:
            cur.execute(f"DROP USER IF EXISTS '{name}'@'%'")


def test_password_travels_in_mysql_pwd_only(
    maria_settings: Settings,
    user_with_password: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user, password = user_with_password
    url = make_url(maria_settings.effective_database_url).set(username=user, password=password)
    settings = maria_settings.model_copy(update={"database_url": url.render_as_string(False)})
    shims = tmp_path / "shims"
    logs = [recording_shim(shims, "mariadb-dump"), recording_shim(shims, "mariadb")]
    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}{os.environ['PATH']}")
    caplog.set_level(logging.DEBUG)

    backup = create_backup(settings)  # the server checks this password for real

    assert backup.manifest.row_counts is not None
    for log in logs:
        assert password not in Path(f"{log}.argv").read_text()
        assert f"MYSQL_PWD={password}" in Path(f"{log}.env").read_text()
    assert password not in backup.manifest_path.read_text()
    assert password not in caplog.text


def test_mariadb_dump_missing_from_path(
    maria_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(ToolMissing) as err:
        create_backup(maria_settings)
    message = str(err.value)
    assert message.startswith("mariadb-dump was not found on PATH")
    assert "apt-get install mariadb-client" in message and "on Windows" in message
