"""The core's signals, re-emitted on the GUI thread as Qt signals.

The core (supervisor, poller, alert center) calls its :class:`~desktop.core.signals.Signal`
handlers on its own worker threads. :class:`CoreBridge` connects to each and relays the
value through one queued connection to itself: the public Qt signals below are therefore
always emitted on the thread the bridge lives in (the GUI thread), whatever connects to
them (a method, a lambda) runs there too, and widgets are never touched from a worker::

    state_changed   Transition    supervisor state (icon colour, tooltip, banner)
    sample_taken    Sample        every health poll (graphs, cards, routers table)
    toast_requested Notice        an alert raised or resolved (a toast)
    alert_changed   AlertRecord   an alert raised, updated or resolved (alerts list)
    request_failed  str           a remote restart was refused (plain words)
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from desktop.core.monitor import Monitor

log = logging.getLogger(__name__)


class CoreBridge(QObject):
    state_changed = Signal(object)  # Transition
    sample_taken = Signal(object)  # Sample
    toast_requested = Signal(object)  # Notice
    alert_changed = Signal(object)  # AlertRecord
    request_failed = Signal(str)

    _relayed = Signal(str, object)  # (public signal name, value), from any thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._relayed.connect(self._on_relayed, Qt.ConnectionType.QueuedConnection)
        self._monitor: Monitor | None = None

    def attach(self, monitor: Monitor) -> None:
        """Connect to the monitor's parts (before ``monitor.start()``)."""
        self._monitor = monitor
        monitor.supervisor.state_changed.connect(self._relay_state)
        monitor.supervisor.request_failed.connect(self._relay_request_failed)
        monitor.poller.sample_taken.connect(self._relay_sample)
        monitor.alerts.toast_requested.connect(self._relay_toast)
        monitor.alerts.changed.connect(self._relay_alert)

    def detach(self) -> None:
        """Stop relaying (at quit: the monitor's last words go to the log only)."""
        monitor, self._monitor = self._monitor, None
        if monitor is None:
            return
        monitor.supervisor.state_changed.disconnect(self._relay_state)
        monitor.supervisor.request_failed.disconnect(self._relay_request_failed)
        monitor.poller.sample_taken.disconnect(self._relay_sample)
        monitor.alerts.toast_requested.disconnect(self._relay_toast)
        monitor.alerts.changed.disconnect(self._relay_alert)

    # -- worker threads ------------------------------------------------------------
    def _relay_state(self, value: object) -> None:
        self._relayed.emit("state_changed", value)

    def _relay_request_failed(self, value: str) -> None:
        self._relayed.emit("request_failed", value)

    def _relay_sample(self, value: object) -> None:
        self._relayed.emit("sample_taken", value)

    def _relay_toast(self, value: object) -> None:
        self._relayed.emit("toast_requested", value)

    def _relay_alert(self, value: object) -> None:
        self._relayed.emit("alert_changed", value)

    # -- GUI thread ------------------------------------------------------------------
    @Slot(str, object)
    def _on_relayed(self, name: str, value: Any) -> None:
        getattr(self, name).emit(value)
