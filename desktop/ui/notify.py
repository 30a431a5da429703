"""Toasts: desktop notifications for the alert center's ``toast_requested``.

On Linux the freedesktop notification service (``org.freedesktop.Notifications`` on the
session bus: dunst, GNOME Shell, KDE Plasma, ...) shows them, called through jeepney. Qt's
own ``QSystemTrayIcon.showMessage`` does not use that service when the tray is an XEmbed
one (trayer, many panels): it draws a balloon next to the icon instead, which notification
settings ("do not disturb") and history do not know about. When no service answers, and
on Windows and macOS (where it gives native toasts), ``showMessage`` is used.

The D-Bus call runs on a worker thread so a stuck notification service never freezes the
tray; its outcome comes back on the GUI thread through the :mod:`desktop.ui.courier`
(``shown``: "dbus" or "tray"), and is dropped if the notifier was deleted meanwhile.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QSystemTrayIcon

from desktop.ui.courier import address_of

log = logging.getLogger(__name__)

APP_NAME = "Vigia"
TIMEOUT_MS = 10_000
_ICONS = {"critical": "dialog-error", "error": "dialog-error", "warning": "dialog-warning"}
_URGENCY = {"critical": 2, "error": 1, "warning": 1}  # freedesktop: 0 low, 1 normal, 2 critical
_TRAY_ICONS = {
    "critical": QSystemTrayIcon.MessageIcon.Critical,
    "error": QSystemTrayIcon.MessageIcon.Critical,
    "warning": QSystemTrayIcon.MessageIcon.Warning,
}

Send = Callable[[str, str, str], None]  # (title, text, severity); raises if not shown


def send_freedesktop(title: str, text: str, severity: str) -> None:
    """One Notify call on the session bus; raises if there is no bus or no service."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.wrappers import unwrap_msg

    address = DBusAddress(
        "/org/freedesktop/Notifications",
        bus_name="org.freedesktop.Notifications",
        interface="org.freedesktop.Notifications",
    )
    hints = {"urgency": ("y", _URGENCY.get(severity, 1))}
    call = new_method_call(
        address,
        "Notify",
        "susssasa{sv}i",
        (
            APP_NAME,
            0,
            _ICONS.get(severity, "dialog-information"),
            title,
            text,
            [],
            hints,
            TIMEOUT_MS,
        ),
    )
    with open_dbus_connection(bus="SESSION") as connection:
        unwrap_msg(connection.send_and_get_reply(call, timeout=3))


class Notifier(QObject):
    shown = Signal(str)  # how the last toast was shown: "dbus" or "tray"

    def __init__(
        self,
        tray: QSystemTrayIcon,
        parent: QObject | None = None,
        *,
        send: Send | None = None,
    ) -> None:
        """``send`` shows a toast some other way than the tray (default: the
        freedesktop service on Linux; none elsewhere)."""
        super().__init__(parent)
        self._tray = tray
        if send is None and sys.platform.startswith("linux"):
            send = send_freedesktop
        self._send = send
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="vigia-notify") if send else None
        self._warned = False
        self._address = address_of(self._on_outcome)

    def notify(self, title: str, text: str, severity: str = "warning") -> None:
        if self._pool is None or self._send is None:
            self._show_in_tray(title, text, severity)
            return
        future = self._pool.submit(self._send, title, text, severity)
        send_outcome = self._address.send  # not self: this runs on the pool's thread

        def done(f: Future[None]) -> None:
            if f.cancelled():  # the notifier was closed before it was sent
                return
            error = f.exception()
            send_outcome((None if error is None else str(error), title, text, severity))

        future.add_done_callback(done)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _on_outcome(self, outcome: tuple[str | None, str, str, str]) -> None:  # GUI thread
        error, title, text, severity = outcome
        if error is None:
            self.shown.emit("dbus")
            return
        if not self._warned:
            log.info("no desktop notification service (%s); using the tray's balloon", error)
            self._warned = True
        self._show_in_tray(title, text, severity)

    def _show_in_tray(self, title: str, text: str, severity: str) -> None:
        icon = _TRAY_ICONS.get(severity, QSystemTrayIcon.MessageIcon.Information)
        self._tray.showMessage(title, text, icon, TIMEOUT_MS)
        self.shown.emit("tray")
