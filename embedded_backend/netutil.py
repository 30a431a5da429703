"""Binding the listening socket ourselves, and naming who holds a port."""

from __future__ import annotations

import errno
import logging
import os
import socket
import time

import psutil

from embedded_backend.errors import PortInUseError

log = logging.getLogger(__name__)

_IN_USE = {errno.EADDRINUSE, 10048}  # 10048 = WSAEADDRINUSE
_ACCESS = {errno.EACCES, 10013}  # Windows reports an excluded/held port as access denied


def port_holder(port: int) -> str | None:
    """'name (pid N)' of the process listening on ``port``, when the OS tells us."""
    try:
        conns = psutil.net_connections(kind="tcp")
    except (psutil.AccessDenied, OSError):
        return None
    for conn in conns:
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN:
            if conn.pid is None:
                return None
            try:
                return f"{psutil.Process(conn.pid).name()} (pid {conn.pid})"
            except (psutil.Error, OSError):
                return f"pid {conn.pid}"
    return None


def _new_socket(host: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    if os.name == "nt":  # pragma: no cover - Windows: never share a port with another process
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)  # type: ignore[attr-defined]
    else:  # POSIX: allow re-binding over TIME_WAIT after a restart (not a shared bind)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return sock


def bind_socket(host: str, port: int, retry_s: float) -> socket.socket:
    """Bind and listen; if the port is taken keep trying for ``retry_s`` seconds.

    Raises PortInUseError naming the process that holds the port.
    """
    deadline = time.monotonic() + retry_s
    delay = 0.1
    logged = False
    while True:
        sock = _new_socket(host)
        try:
            sock.bind((host, port))
            sock.listen(2048)
        except OSError as exc:
            sock.close()
            if exc.errno not in _IN_USE and exc.errno not in _ACCESS:
                raise
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PortInUseError(host, port, port_holder(port)) from None
            if not logged:
                log.warning(
                    "port %d on %s is in use; retrying for up to %.0f s", port, host, retry_s
                )
                logged = True
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 1.0)
            continue
        sock.set_inheritable(True)
        return sock
