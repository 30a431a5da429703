"""The CLI installs process-wide logging; take it down after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from embedded_backend.logs import shutdown_logging


@pytest.fixture(autouse=True)
def _stop_cli_logging() -> Iterator[None]:
    yield
    shutdown_logging()
