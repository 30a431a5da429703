"""A backend on another machine (``vigia tray --url URL``): watched, never owned.

The tray cannot start or stop a process it does not own; it can only ask that backend to
restart itself through the admin API (``POST /api/v1/admin/restart`` with the admin
token), which works when the remote backend runs under a supervisor (``vigia serve``
does).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import httpx

from desktop.core.errors import ConfigError, RemoteError

log = logging.getLogger(__name__)

RESTART_PATH = "/api/v1/admin/restart"


def normalize_url(url: str) -> str:
    """``http(s)://host[:port][/prefix]`` without a trailing slash; ConfigError otherwise."""
    text = url.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"'{url}' is not a backend address; give one like http://erp-server:8002")
    if parts.query or parts.fragment:
        raise ConfigError(f"'{url}': give the backend's address without '?' or '#'")
    return text


class RemoteBackend:
    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = normalize_url(url)
        self.token = token
        self._client = httpx.Client(transport=transport, timeout=timeout_s, trust_env=False)

    def request_restart(self) -> None:
        """Ask the backend to restart itself. Raises RemoteError saying why it did not."""
        if not self.token:
            raise RemoteError(
                "Restarting a server on another computer needs its admin token; enter it "
                "in the settings."
            )
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            response = self._client.post(self.url + RESTART_PATH, headers=headers)
        except httpx.HTTPError as exc:
            raise RemoteError(
                f"The server at {self.url} did not answer ({type(exc).__name__}); check that "
                "it is on and connected to the network."
            ) from None
        if response.status_code == 202:
            log.info("restart of the backend at %s accepted", self.url)
            return
        if response.status_code in (401, 403):
            raise RemoteError(
                f"The server at {self.url} refused the admin token; check the token in the "
                "settings."
            )
        detail = _problem_detail(response)
        raise RemoteError(
            f"The server at {self.url} did not restart (HTTP {response.status_code})"
            + (f": {detail}" if detail else ".")
        )

    def close(self) -> None:
        self._client.close()


def _problem_detail(response: httpx.Response) -> str | None:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return None
    return detail if isinstance(detail, str) and detail else None
