"""Saving the backend's settings from the tray: validated by the backend's Settings,
nothing written when refused, the database password to the keyring and never to the
file, the file's other keys and layout kept."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from desktop.core.backend_settings import (
    BackendSettingsStore,
    SettingsRejected,
    editable_fields,
    split_password,
)
from desktop.core.errors import ConfigError
from embedded_backend.config import load_settings
from embedded_backend.secrets import DATABASE_PASSWORD, SERVICE
from tests.helpers.memory_keyring import MemoryKeyring


@pytest.fixture
def store(home: Path) -> BackendSettingsStore:
    home.mkdir(parents=True, exist_ok=True)
    return BackendSettingsStore(home)


def _file(home: Path) -> dict[str, object]:
    return tomllib.loads((home / "vigia.toml").read_text(encoding="utf-8"))


def test_defaults_and_a_first_save(store: BackendSettingsStore, home: Path) -> None:
    form = store.load()
    assert form.values["port"] == 8002 and form.values["database_url"] is None
    assert set(form.values) == set(editable_fields())
    assert not form.has_password and form.file_problem is None
    result = store.save({"port": "8100", "backup_keep_daily": 14})
    assert result.changed == ["port"]
    assert _file(home) == {"port": 8100}  # unchanged defaults are not written
    assert load_settings(home=home).port == 8100


def test_refused_value_writes_nothing(
    store: BackendSettingsStore, home: Path, memory_keyring: MemoryKeyring
) -> None:
    with pytest.raises(SettingsRejected) as caught:
        store.save(
            {"port": "70000", "database_url": "postgresql://erp@db/erp"}, password="never-kept"
        )
    assert caught.value.problems == [("port", "Input should be less than or equal to 65535")]
    assert not (home / "vigia.toml").exists()
    assert memory_keyring.store == {}
    with pytest.raises(SettingsRejected, match="backup_time"):
        store.save({"backup_time": "25:99"})
    with pytest.raises(SettingsRejected, match=r"database .nonsense. is not supported"):
        store.save({"database_url": "nonsense://"})
    with pytest.raises(ConfigError, match="cannot be changed here"):
        store.save({"admin_token": "x"})
    assert not (home / "vigia.toml").exists()


def test_password_goes_to_the_keyring_never_the_file(
    store: BackendSettingsStore, home: Path, memory_keyring: MemoryKeyring
) -> None:
    result = store.save({"database_url": "postgresql://erp@db.local/erp"}, password="S3cr3t!")
    assert result.password_changed and not result.password_moved
    assert memory_keyring.store[(SERVICE, DATABASE_PASSWORD)] == "S3cr3t!"
    text = (home / "vigia.toml").read_text(encoding="utf-8")
    assert "S3cr3t" not in text
    assert _file(home) == {"database_url": "postgresql://erp@db.local/erp"}
    settings = load_settings(home=home)
    assert make_url(settings.effective_database_url).password == "S3cr3t!"
    assert store.load().has_password


def test_password_typed_in_the_url_is_moved(
    store: BackendSettingsStore, home: Path, memory_keyring: MemoryKeyring
) -> None:
    result = store.save({"database_url": "mariadb://erp:p%40ss@db/erp"})
    assert result.password_moved
    assert memory_keyring.store[(SERVICE, DATABASE_PASSWORD)] == "p@ss"
    assert _file(home) == {"database_url": "mariadb://erp@db/erp"}
    with pytest.raises(ConfigError, match="given twice"):
        store.save({"database_url": "mariadb://erp:x@db/erp"}, password="y")


def test_other_keys_and_the_vigia_table_are_kept(store: BackendSettingsStore, home: Path) -> None:
    (home / "vigia.toml").write_text(
        '[vigia]\nlog_level = "DEBUG"\nport = 9000\n\n[extra]\nnote = "kept"\n', encoding="utf-8"
    )
    assert store.load().values["port"] == 9000
    store.save({"port": "9001", "backup_dir": "/srv/backups"})
    assert _file(home) == {
        "vigia": {"log_level": "DEBUG", "port": 9001, "backup_dir": "/srv/backups"},
        "extra": {"note": "kept"},
    }
    store.save({"backup_dir": None})
    assert "backup_dir" not in _file(home)["vigia"]  # type: ignore[operator]


def test_environment_overrides_are_reported(
    store: BackendSettingsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGIA_PORT", "8123")
    form = store.load()
    assert form.from_environment == {"port": "VIGIA_PORT"}
    assert form.values["port"] == 8123


def test_broken_file_is_reported_and_replaced(store: BackendSettingsStore, home: Path) -> None:
    (home / "vigia.toml").write_text("port = [", encoding="utf-8")
    assert "not valid TOML" in str(store.load().file_problem)
    store.save({"port": "8003"})
    assert _file(home) == {"port": 8003}


def test_keyring_unavailable_refuses_the_password(
    store: BackendSettingsStore, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store.keyring, "set", lambda name, value: False)
    with pytest.raises(ConfigError, match="keyring is not available"):
        store.save({"database_url": "postgresql://erp@db/erp"}, password="x")
    assert not (home / "vigia.toml").exists()


def test_split_password() -> None:
    assert split_password("postgresql://u:p@h/d") == ("postgresql://u@h/d", "p")
    assert split_password("postgresql://u@h/d") == ("postgresql://u@h/d", None)
    assert split_password("sqlite:///x.db") == ("sqlite:///x.db", None)
