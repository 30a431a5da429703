"""One tray per data folder: a second launch hands its request to the first and exits.

The first tray for a ``VIGIA_HOME`` takes a file lock in it (``vigia-tray.lock``; the
system frees it if the process dies) and listens on a local socket (a Unix socket, a
named pipe on Windows) whose name is derived from that folder, so trays for different
folders (tests, several installs) never meet. A later launch finds the lock taken,
connects and sends one line, a command; the first tray answers one line::

    show      open the dashboard (what a second ``vigia tray`` does)
    restart   restart the backend (``vigia tray --command restart``)
    quit      quit the tray

Answers: ``ok`` or ``unknown command``. The lock, not the socket, decides who is first:
two launches at the same moment cannot both win, and a stale socket file left by a
crash is removed by the next first tray.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import filelock
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

COMMANDS = ("show", "restart", "quit")
LOCK_FILE = "vigia-tray.lock"


def server_name(home: Path) -> str:
    digest = hashlib.sha256(str(home.resolve()).encode("utf-8")).hexdigest()[:20]
    return f"vigia-tray-{digest}"


class SingleInstance(QObject):
    """The first tray's side. ``command_received`` is emitted on the GUI thread."""

    command_received = Signal(str)

    def __init__(self, home: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.home = home
        self.name = server_name(home)
        self._lock = filelock.FileLock(home / LOCK_FILE, timeout=0)
        self._server: QLocalServer | None = None

    def acquire(self) -> bool:
        """True if this is the first tray for the folder (the lock is now ours)."""
        self.home.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except filelock.Timeout:
            return False
        return True

    def listen(self) -> bool:
        """Start answering later launches (call after :meth:`acquire` succeeded)."""
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        QLocalServer.removeServer(self.name)  # a socket file left by a crash
        if not server.listen(self.name):
            log.warning(
                "cannot listen on %s (%s); a second launch will not find this tray",
                self.name,
                server.errorString(),
            )
            return False
        server.newConnection.connect(self.on_server_new_connection)
        self._server = server
        log.info("single-instance channel %s", server.fullServerName())
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._lock.is_locked:
            self._lock.release()

    @Slot()
    def on_server_new_connection(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._on_socket_ready(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.canReadLine():
                self._on_socket_ready(socket)

    def _on_socket_ready(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            return
        command = bytes(socket.readLine().data()).decode("utf-8", "replace").strip()
        known = command in COMMANDS
        socket.write(b"ok\n" if known else b"unknown command\n")
        socket.flush()
        socket.disconnectFromServer()
        if known:
            log.info("another launch asked: %s", command)
            self.command_received.emit(command)
        else:
            log.warning("ignoring an unknown single-instance command %r", command[:40])


def send_command(home: Path, command: str, timeout_s: float = 10.0) -> str | None:
    """Send ``command`` to the first tray of ``home``; its answer, or None if no tray
    answered within ``timeout_s`` (it may still be starting: we retry until then).
    Needs a Q(Core)Application."""
    name = server_name(home)
    deadline = time.monotonic() + timeout_s
    while True:
        socket = QLocalSocket()
        socket.connectToServer(name)
        if socket.waitForConnected(1000):
            socket.write(command.encode("utf-8") + b"\n")
            socket.flush()
            answer = b""
            while b"\n" not in answer and time.monotonic() < deadline:
                if not socket.waitForReadyRead(500) and (
                    socket.state() != QLocalSocket.LocalSocketState.ConnectedState
                ):
                    break
                answer += bytes(socket.readAll().data())
            socket.abort()
            if answer:
                return answer.decode("utf-8", "replace").strip()
        socket.abort()
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)
