from __future__ import annotations

import logging

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring

from embedded_backend import secrets as secrets_module
from embedded_backend.config import load_settings
from embedded_backend.secrets import ADMIN_TOKEN, SECRET_KEY, load_secrets, peek_admin_token
from tests.helpers.memory_keyring import MemoryKeyring


def test_generated_on_first_run_and_kept(memory_keyring: MemoryKeyring) -> None:
    first = load_secrets(load_settings())
    assert first.admin_token_source == "keyring"
    assert len(first.admin_token) >= 40
    assert memory_keyring.store[("vigia", ADMIN_TOKEN)] == first.admin_token
    assert memory_keyring.store[("vigia", SECRET_KEY)] == first.secret_key
    again = load_secrets(load_settings())
    assert again.admin_token == first.admin_token


def test_environment_wins(memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    memory_keyring.store[("vigia", ADMIN_TOKEN)] = "from-keyring-000000000"
    monkeypatch.setenv("VIGIA_ADMIN_TOKEN", "from-environment-00000")
    got = load_secrets(load_settings())
    assert got.admin_token == "from-environment-00000"
    assert got.admin_token_source == "environment"


def test_missing_keyring_backend_is_a_warning_not_a_crash(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(secrets_module, "_warned", False)
    keyring.set_keyring(FailKeyring())
    with caplog.at_level(logging.WARNING, logger="embedded_backend.secrets"):
        got = load_secrets(load_settings())
    assert got.admin_token_source == "memory"
    warning = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warning) == 1 and "keyring is not available" in warning[0]
    assert "VIGIA_ADMIN_TOKEN" in warning[0]
    assert got.admin_token and got.secret_key
    assert peek_admin_token(load_settings()) is None


def test_peek_never_generates(memory_keyring: MemoryKeyring) -> None:
    assert peek_admin_token(load_settings()) is None
    assert memory_keyring.store == {}
