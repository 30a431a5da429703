"""A real :class:`UiContext` for the window tests: a Monitor that is built but not
started (its history file in the test's VIGIA_HOME) and an AdminClient on a given
address or transport."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from desktop.core.admin_client import AdminClient
from desktop.core.monitor import Monitor
from desktop.ui.context import UiContext
from embedded_backend.config import Settings


@contextmanager
def ui_context(
    settings: Settings | None,
    *,
    home: Path | None = None,
    url: str | None = None,
    token: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Iterator[UiContext]:
    """Local mode when ``settings`` is given, else remote mode (``url``). The client
    asks ``url`` (a live backend) or ``transport`` in both modes."""
    if settings is not None:
        monitor = Monitor.embedded(settings)
        home = settings.home
    else:
        assert home is not None and url is not None
        monitor = Monitor.remote(url, token, home)
    base: Callable[[], str | None] = lambda: url  # noqa: E731
    client = AdminClient(base, lambda: token, transport=transport, timeout_s=5)
    try:
        yield UiContext(monitor, client, settings, home, settings is None, lambda s: s)
    finally:
        client.close()
        monitor.shutdown(timeout_s=5)
