"""DesktopConfig: defaults from DESIGN.md, validation, and the round trip the UI uses."""

from __future__ import annotations

import logging

import pytest

from desktop.core.categories import Category
from desktop.core.config import DesktopConfig
from desktop.core.errors import ConfigError


def test_defaults_are_the_designed_ones() -> None:
    config = DesktopConfig()
    assert (config.poll_interval_s, config.poll_timeout_s) == (2.0, 2.0)
    assert config.alert_min_duration_s == 6.0
    assert config.muted_categories == frozenset()
    assert config.stop_timeout_s is None  # the backend's own graceful shutdown time


def test_round_trip_through_plain_values() -> None:
    config = DesktopConfig(
        poll_interval_s=5, latency_samples=3, muted_categories=frozenset({Category.BACKUP})
    )
    values = config.as_dict()
    assert values["muted_categories"] == ["backup"]
    assert "stop_timeout_s" not in values  # None: TOML has no null
    assert DesktopConfig.from_dict(values) == config
    timed = config.replace(stop_timeout_s=4)
    assert DesktopConfig.from_dict(timed.as_dict()) == timed


def test_unknown_keys_are_ignored_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        config = DesktopConfig.from_dict({"poll_interval_s": 3, "from_the_future": 1})
    assert config.poll_interval_s == 3
    assert any("from_the_future" in r.getMessage() for r in caplog.records)


def test_muted_categories_accept_a_comma_list() -> None:
    config = DesktopConfig.from_dict({"muted_categories": "disk, backup"})
    assert config.muted_categories == {Category.DISK, Category.BACKUP}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"poll_interval_s": 0}, "poll_interval_s must be greater than 0"),
        ({"poll_timeout_s": -1}, "poll_timeout_s must be greater than 0"),
        ({"missed_polls": 0}, "missed_polls must be a whole number of at least 1"),
        ({"latency_samples": 2.5}, "latency_samples must be a whole number"),
        ({"alert_min_duration_s": -1}, "alert_min_duration_s cannot be negative"),
        ({"muted_categories": ["disk", "printer"]}, "unknown alert category 'printer'"),
        ({"poll_interval_s": "fast"}, "invalid desktop settings"),
    ],
)
def test_bad_values_say_which_setting(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        DesktopConfig.from_dict(values)


def test_replace_validates_too() -> None:
    assert DesktopConfig().replace(wake_gap_s=60).wake_gap_s == 60
    with pytest.raises(ConfigError):
        DesktopConfig().replace(stop_timeout_s=0)
