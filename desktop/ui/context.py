"""What every window of the tray gets: one :class:`UiContext`.

Windows take ``ctx`` (and an optional parent) and nothing else; they reach the backend
through ``ctx.client`` (blocking: call it off the GUI thread, see :mod:`desktop.ui.tasks`)
and the supervisor, poller, alert center and history through ``ctx.monitor``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from desktop.core.admin_client import AdminClient
from desktop.core.monitor import Monitor
from embedded_backend.config import Settings


@dataclass
class UiContext:
    monitor: Monitor  # desktop.core.monitor
    client: AdminClient  # desktop.core.admin_client
    settings: Settings | None  # the embedded backend's Settings (newest); None in remote mode
    home: Path  # VIGIA_HOME of this tray (history, desktop config)
    remote: bool
    translate: Callable[[str], str]  # for non-QObject strings (core alerts)
    # Reads the embedded backend's settings again, as at launch (the tray's restart
    # uses it: a changed vigia.toml takes effect); None in remote mode.
    load_settings: Callable[[], Settings] | None = None
