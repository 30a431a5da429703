"""Only answer requests addressed to this server by a name it knows (``Host`` header).

This is what stops DNS rebinding: a web page on ``evil.example`` whose name is made to
resolve to 127.0.0.1 can reach the backend, but its requests say ``Host: evil.example``
and get 400. Starlette's :class:`~starlette.middleware.trustedhost.TrustedHostMiddleware`
decides; this wrapper only turns its plain-text 400 into problem+json.

Allowed names (:func:`allowed_hosts`), ports always ignored:

- loopback: ``localhost``, ``127.0.0.1``, ``[::1]`` (and ``::1`` for clients that send it
  without brackets);
- the ``trusted_hosts`` setting (LAN names such as ``erp-server`` or ``*.office.lan``;
  ``*`` turns the check off, e.g. behind a reverse proxy that checks hosts itself);
- when the server listens on a non-loopback address (a LAN server), that is what desks
  use to reach it, so the machine's own names are allowed too: the bound address itself,
  the computer name (``socket.gethostname()``) and, when bound to every interface
  (``0.0.0.0``/``::``), the address of every interface. No DNS lookup is made (a slow
  resolver must not delay startup), so a fully qualified name such as
  ``erp-server.office.lan`` must be listed in ``trusted_hosts``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence

import psutil
from starlette.middleware.trustedhost import TrustedHostMiddleware as _StarletteTrustedHost
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from embedded_backend.api.problems import problem

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]", "::1")
_WILDCARD_BINDS = ("", "0.0.0.0", "::")  # noqa: S104 - names, not a bind
_ACCEPTED = "vigia.host_accepted"
MAX_VERDICTS = 1024


def _as_host(address: str) -> str | None:
    """An address as it appears in a ``Host`` header, or None if none can (zone ids)."""
    if "%" in address:
        return None  # link-local with a zone id: browsers do not send those in Host
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address.lower()
    return f"[{ip.compressed}]" if ip.version == 6 else ip.compressed


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def own_addresses(bind_host: str) -> list[str]:
    """The names a LAN client may use for this machine when it listens on ``bind_host``."""
    if _is_loopback(bind_host):
        return []
    names = [socket.gethostname().lower()]
    if bind_host in _WILDCARD_BINDS:
        names += [
            a.address
            for nic in psutil.net_if_addrs().values()
            for a in nic
            if a.family in (socket.AF_INET, socket.AF_INET6)
        ]
    else:
        names.append(bind_host)
    return [host for host in map(_as_host, names) if host]


def allowed_hosts(bind_host: str, configured: Iterable[str]) -> list[str]:
    names = [*LOOPBACK_NAMES, *configured, *own_addresses(bind_host)]
    return list(dict.fromkeys(names))  # unique, order kept


def _host_header(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"host":
            return bytes(value)
    return None


async def _accept(scope: Scope, receive: Receive, send: Send) -> None:
    scope[_ACCEPTED] = True


async def _discard(message: Message) -> None:
    return None


class TrustedHostMiddleware:
    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.allowed_hosts = list(allowed_hosts)
        # Starlette's middleware, used as the judge: it "calls the app" (``_accept``) for a
        # good host and sends its own 400 (to ``_discard``) for a bad one.
        self._judge = _StarletteTrustedHost(
            _accept, allowed_hosts=allowed_hosts, www_redirect=False
        )
        self._allow_any = "*" in allowed_hosts
        # The judge's verdict per raw Host value: clients send the same few, and parsing
        # costs more than the rest of this layer.
        self._verdicts: dict[bytes | None, bool] = {}
        self._websockets = _StarletteTrustedHost(
            app, allowed_hosts=allowed_hosts, www_redirect=False
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._allow_any or scope["type"] != "http":
            if scope["type"] == "websocket":
                await self._websockets(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        host = _host_header(scope)
        accepted = self._verdicts.get(host)
        if accepted is None:
            await self._judge(scope, receive, _discard)
            accepted = bool(scope.pop(_ACCEPTED, False))
            if len(self._verdicts) >= MAX_VERDICTS:  # varied junk hosts cannot grow it
                self._verdicts.clear()
            self._verdicts[host] = accepted
        if accepted:
            await self.app(scope, receive, send)
            return
        response = problem(
            400,
            "Unknown host",
            "this server does not answer to the name in the request's Host header; "
            "use its address, or ask the administrator to add the name to trusted_hosts",
        )
        await response(scope, receive, send)
