"""RemoteBackend: address checks (its restart call is tested through the supervisor)."""

from __future__ import annotations

import pytest

from desktop.core.errors import ConfigError
from desktop.core.remote import normalize_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://erp-server:8002/", "http://erp-server:8002"),
        (" https://erp.office.lan ", "https://erp.office.lan"),
        ("http://[::1]:8002", "http://[::1]:8002"),
        ("http://server/vigia/", "http://server/vigia"),
    ],
)
def test_good_addresses(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("erp-server:8002", "is not a backend address"),
        ("ftp://erp-server", "is not a backend address"),
        ("http://", "is not a backend address"),
        ("http://server:8002/?x=1", "without '\\?' or '#'"),
    ],
)
def test_bad_addresses_are_refused_with_an_example(given: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        normalize_url(given)
