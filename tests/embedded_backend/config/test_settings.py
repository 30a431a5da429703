from __future__ import annotations

from pathlib import Path

import pytest

from embedded_backend.config import load_settings
from embedded_backend.errors import ConfigError


def test_defaults(home: Path) -> None:
    s = load_settings()
    assert s.home == home.resolve()
    assert s.host == "127.0.0.1"
    assert s.port == 8002
    assert s.effective_database_url == f"sqlite:///{home.resolve() / 'vigia.db'}"
    assert s.sqlite_synchronous == "FULL"
    assert s.admin_token is None


def test_sources_in_order_flags_env_toml_defaults(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home.mkdir(parents=True)
    (home / "vigia.toml").write_text('port = 9100\nlog_level = "debug"\nhost = "127.0.0.2"\n')
    monkeypatch.setenv("VIGIA_PORT", "9200")
    s = load_settings()
    assert s.port == 9200  # env beats toml
    assert s.log_level == "DEBUG"  # toml beats default
    assert s.host == "127.0.0.2"
    assert load_settings(port=9300).port == 9300  # flags beat env


def test_toml_vigia_table_is_accepted(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "vigia.toml").write_text("[vigia]\nsqlite_synchronous = 'normal'\n")
    assert load_settings().sqlite_synchronous == "NORMAL"


def test_corrupt_toml_is_a_clear_error(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "vigia.toml").write_text("port = = 3\n")
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "vigia.toml" in message and "not valid TOML" in message and "line 1" in message


@pytest.mark.parametrize("key", ["admin_token", "secret_key"])
def test_secrets_in_toml_are_refused(home: Path, key: str) -> None:
    home.mkdir(parents=True)
    (home / "vigia.toml").write_text(f'{key} = "hunter2-hunter2"\n')
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "must not be stored in a file" in str(info.value)
    assert "hunter2" not in str(info.value)


def test_unknown_toml_key(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "vigia.toml").write_text("prot = 1\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings()


def test_invalid_value_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIA_PORT", "70000")
    with pytest.raises(ConfigError, match="port"):
        load_settings()


def test_secret_values_do_not_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIA_ADMIN_TOKEN", "very-secret-token-value")
    s = load_settings()
    assert s.admin_token is not None
    assert "very-secret-token-value" not in repr(s)
    assert s.admin_token.get_secret_value() == "very-secret-token-value"


def test_empty_variables_mean_not_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # VIGIA_HOME= once put a database, logs and backups in the current directory.
    monkeypatch.setenv("VIGIA_HOME", "")
    monkeypatch.setenv("VIGIA_PORT", "")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user" / "data"))
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.home == (tmp_path / "user" / "data" / "Vigia").resolve()
    assert s.port == 8002
