"""The core's signals, re-emitted on the GUI thread as Qt signals.

The core (supervisor, poller, alert center) calls its :class:`~desktop.core.signals.Signal`
handlers on its own worker threads. :class:`CoreBridge` connects to each and relays the
value through the :mod:`desktop.ui.courier` (never touching the bridge itself from a
worker): the public Qt signals below are therefore always emitted on the GUI thread,
whatever connects to them (a method, a lambda) runs there too, and widgets are never
touched from a worker::

    state_changed   Transition    supervisor state (icon colour, tooltip, banner)
    sample_taken    Sample        every health poll (graphs, cards, routers table)
    toast_requested Notice        an alert raised or resolved (a toast)
    alert_changed   AlertRecord   an alert raised, updated or resolved (alerts list)
    request_failed  str           a remote restart was refused (plain words)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.core.monitor import Monitor
from desktop.ui.courier import Address, address_of

log = logging.getLogger(__name__)

RELAYED = ("state_changed", "sample_taken", "toast_requested", "alert_changed", "request_failed")


class CoreBridge(QObject):
    state_changed = Signal(object)  # Transition
    sample_taken = Signal(object)  # Sample
    toast_requested = Signal(object)  # Notice
    alert_changed = Signal(object)  # AlertRecord
    request_failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._address: Address | None = None
        self._relays: dict[str, Callable[[Any], None]] = {}
        self._monitor: Monitor | None = None

    def attach(self, monitor: Monitor) -> None:
        """Connect to the monitor's parts (before ``monitor.start()``)."""
        self.detach()
        self._monitor = monitor
        # The worker threads reach this object only through its address, never directly:
        # it may be deleted meanwhile (see desktop/ui/courier.py).
        self._address = address = address_of(self._on_relayed)
        self._relays = {name: _relay(address.send, name) for name in RELAYED}
        for name, signal in _core_signals(monitor).items():
            signal.connect(self._relays[name])

    def detach(self) -> None:
        """Stop relaying (at quit: the monitor's last words go to the log only)."""
        monitor, self._monitor = self._monitor, None
        if monitor is None:
            return
        for name, signal in _core_signals(monitor).items():
            signal.disconnect(self._relays[name])
        if self._address is not None:
            self._address.close()  # values already on their way are dropped too
            self._address = None

    # -- GUI thread, through the courier -------------------------------------------------
    def _on_relayed(self, message: tuple[str, Any]) -> None:
        name, value = message
        getattr(self, name).emit(value)


def _core_signals(monitor: Monitor) -> dict[str, Any]:
    return {
        "state_changed": monitor.supervisor.state_changed,
        "request_failed": monitor.supervisor.request_failed,
        "sample_taken": monitor.poller.sample_taken,
        "toast_requested": monitor.alerts.toast_requested,
        "alert_changed": monitor.alerts.changed,
    }


def _relay(send: Callable[[object], None], name: str) -> Callable[[Any], None]:
    """What a core signal calls on its worker thread: holds the address, not the bridge."""

    def relay(value: Any) -> None:
        send((name, value))

    return relay
