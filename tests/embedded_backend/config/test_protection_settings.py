"""The ``# Protection`` settings: defaults, comma lists from the environment, host patterns."""

from __future__ import annotations

from pathlib import Path

import pytest

from embedded_backend.config import load_settings
from embedded_backend.errors import ConfigError


def test_defaults_protect_and_stay_quiet() -> None:
    s = load_settings()
    assert s.trusted_hosts == [] and s.cors_origins == []
    assert s.max_body_bytes == 1024 * 1024
    assert s.rate_limit_per_minute == 100
    assert s.login_failures_per_minute == 10
    assert s.proxy_headers is False and s.forwarded_allow_ips == []
    assert s.docs_enabled is False


def test_lists_from_the_environment_as_comma_lists_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIA_TRUSTED_HOSTS", " erp-server, ERP-Server.office.lan ,, *.lan")
    monkeypatch.setenv("VIGIA_CORS_ORIGINS", '["http://desk.local:3000"]')
    monkeypatch.setenv("VIGIA_FORWARDED_ALLOW_IPS", "10.0.0.1")
    monkeypatch.setenv("VIGIA_PROXY_HEADERS", "true")
    s = load_settings()
    assert s.trusted_hosts == ["erp-server", "erp-server.office.lan", "*.lan"]
    assert s.cors_origins == ["http://desk.local:3000"]
    assert s.forwarded_allow_ips == ["10.0.0.1"]
    assert s.proxy_headers is True


def test_lists_from_toml(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "vigia.toml").write_text('trusted_hosts = ["erp-server"]\nrate_limit_per_minute = 0\n')
    s = load_settings()
    assert s.trusted_hosts == ["erp-server"]
    assert s.rate_limit_per_minute == 0


def test_ipv6_hosts_are_bracketed_like_a_host_header() -> None:
    assert load_settings(trusted_hosts="fe80::1,[::2]").trusted_hosts == ["[fe80::1]", "[::2]"]
    assert load_settings(trusted_hosts="[::1],erp").trusted_hosts == ["[::1]", "erp"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("erp-server:8002", "without port"),
        ("http://erp-server", "without port"),
        ("erp*.lan", "wildcard"),
        ("*lan", "wildcard"),
        ("[::1", "without scheme or port"),
    ],
)
def test_bad_host_patterns_are_clear_errors(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(trusted_hosts=value)


def test_negative_limits_are_refused() -> None:
    with pytest.raises(ConfigError, match="rate_limit_per_minute"):
        load_settings(rate_limit_per_minute=-1)
    with pytest.raises(ConfigError, match="max_body_bytes"):
        load_settings(max_body_bytes=-5)
