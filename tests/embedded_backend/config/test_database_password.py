"""The database password: kept out of vigia.toml, read from the keyring (service
``vigia``, entry ``database_password``) or VIGIA_DATABASE_PASSWORD, and put into the
URL the backend connects with."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from embedded_backend.config import load_settings
from embedded_backend.errors import ConfigError
from embedded_backend.secrets import DATABASE_PASSWORD, SERVICE
from embedded_backend.settings_audit import redacted_url
from tests.helpers.memory_keyring import MemoryKeyring

URL = "postgresql://erp@db.local:5432/erp"


def test_password_from_the_keyring_goes_into_the_url(
    memory_keyring: MemoryKeyring, home: Path
) -> None:
    memory_keyring.set_password(SERVICE, DATABASE_PASSWORD, "p@ss:w/rd")
    settings = load_settings(home=home, database_url=URL)
    url = make_url(settings.effective_database_url)
    assert url.password == "p@ss:w/rd"
    assert (url.username, url.host, url.database) == ("erp", "db.local", "erp")
    # The configured URL itself stays without it, and what is written is masked.
    assert settings.database_url == URL
    assert "p@ss" not in str(redacted_url(settings.effective_database_url))
    assert "p@ss" not in repr(settings)


def test_environment_wins_over_the_keyring(
    memory_keyring: MemoryKeyring, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_keyring.set_password(SERVICE, DATABASE_PASSWORD, "from-keyring")
    monkeypatch.setenv("VIGIA_DATABASE_PASSWORD", "from-env")
    settings = load_settings(home=home, database_url=URL)
    assert make_url(settings.effective_database_url).password == "from-env"


def test_a_password_in_the_url_is_kept(memory_keyring: MemoryKeyring, home: Path) -> None:
    memory_keyring.set_password(SERVICE, DATABASE_PASSWORD, "from-keyring")
    settings = load_settings(home=home, database_url="postgresql://erp:inline@db/erp")
    assert make_url(settings.effective_database_url).password == "inline"


def test_no_user_or_sqlite_never_asks_the_keyring(
    memory_keyring: MemoryKeyring, home: Path
) -> None:
    memory_keyring.set_password(SERVICE, DATABASE_PASSWORD, "unused")
    for url in ("sqlite:////tmp/x.db", "postgresql://db.local/erp", None):
        settings = load_settings(home=home, database_url=url)
        assert settings.database_password is None
        assert "unused" not in settings.effective_database_url


def test_without_a_stored_password_the_url_is_unchanged(home: Path) -> None:
    settings = load_settings(home=home, database_url=URL)
    assert settings.effective_database_url == URL


def test_the_password_is_refused_in_vigia_toml(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "vigia.toml").write_text('database_password = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="database_password"):
        load_settings(home=home)
