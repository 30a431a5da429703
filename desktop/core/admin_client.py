"""A small client of the backend's admin API, for the tray's windows (no Qt).

Every call is blocking (run it off the GUI thread for anything that may take long) and
either returns the decoded JSON answer or raises :class:`~desktop.core.errors.AdminError`
with a message written for a person, the HTTP status and the problem+json ``detail``::

    client = AdminClient(lambda: monitor.supervisor.url, lambda: token)
    for router in client.routers():
        ...
    client.disable_router("whatsapp")

The base URL and the token are asked before each call: the embedded backend's address is
known only once it listens, and its admin token once it has started (it may generate it).
Proxy variables of the environment are ignored (the backend is on this machine or the LAN).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from desktop.core.alert_rules import Translate, identity
from desktop.core.errors import AdminError

log = logging.getLogger(__name__)

ADMIN = "/api/v1/admin"
MONITORING = "/api/v1/monitoring"

Json = dict[str, Any]


class AdminClient:
    def __init__(
        self,
        base_url: Callable[[], str | None],
        token: Callable[[], str | None],
        *,
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        tr: Translate = identity,
    ) -> None:
        """``tr`` translates the messages of the errors raised (the UI passes its own;
        the backend's own ``detail`` comes as it wrote it)."""
        self._base_url = base_url
        self._token = token
        self._tr = tr
        self.timeout_s = timeout_s
        self._client = httpx.Client(transport=transport, timeout=timeout_s, trust_env=False)

    @property
    def has_token(self) -> bool:
        """An admin token is known: administrative actions may be offered."""
        return bool(self._token())

    def connection(self) -> tuple[str | None, str | None]:
        """The backend's address and the admin token as they are now (for the
        diagnostics bundle, which asks the backend itself)."""
        return self._base_url(), self._token()

    # -- routers -------------------------------------------------------------------
    def routers(self) -> list[Json]:
        """Every router: name, prefix, status (loaded|failed|disabled|...), error."""
        return _items(self._call("GET", f"{ADMIN}/routers"), self._tr)

    def enable_router(self, name: str) -> Json:
        return self._call("POST", f"{ADMIN}/routers/{quote(name, safe='')}/enable")

    def disable_router(self, name: str) -> Json:
        return self._call("POST", f"{ADMIN}/routers/{quote(name, safe='')}/disable")

    # -- the backend's own alerts ------------------------------------------------------
    def alerts(self) -> Json:
        """``{"active": [...], "recent": [...]}``; each alert has id, rule, subject,
        severity, state, message, started_at, resolved_at, resolved_by."""
        return self._call("GET", f"{MONITORING}/alerts")

    def resolve_alert(self, alert_id: str) -> Json:
        return self._call("POST", f"{MONITORING}/alerts/{quote(alert_id, safe='')}/resolve")

    # -- restart -----------------------------------------------------------------------
    def restart(self) -> Json:
        """Ask the backend to restart (202: accepted, it restarts in the background)."""
        return self._call("POST", f"{ADMIN}/restart")

    # -- backups -----------------------------------------------------------------------
    def backups(self) -> Json:
        """The backups the backend knows (``GET /api/v1/admin/backups``)."""
        return self._call("GET", f"{ADMIN}/backups")

    def create_backup(self) -> Json:
        """Start a backup; the answer names the job to follow with :meth:`backup_job`."""
        return self._call("POST", f"{ADMIN}/backups")

    def backup_job(self, job_id: str) -> Json:
        return self._call("GET", f"{ADMIN}/backups/jobs/{quote(job_id, safe='')}")

    def verify_backup(self, backup_id: str) -> Json:
        return self._call("POST", f"{ADMIN}/backups/{quote(backup_id, safe='')}/verify")

    def restore_backup(self, backup_id: str) -> Json:
        """Start a restore (it replaces the whole database: the API wants the id again
        in the body, ``{"confirm": id}``); the answer names the job to follow."""
        return self._call(
            "POST",
            f"{ADMIN}/backups/{quote(backup_id, safe='')}/restore",
            json={"confirm": backup_id},
        )

    # -- logs ----------------------------------------------------------------------------
    def logs(self, **filters: str | int | None) -> Json:
        """The tail of the backend's log; filters (level, text, request_id, limit, ...)
        go as query parameters, None ones are left out."""
        params = {k: v for k, v in filters.items() if v is not None}
        return self._call("GET", f"{ADMIN}/logs", params=params)

    # -- plumbing ------------------------------------------------------------------------
    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: object = None,
    ) -> Json:
        tr = self._tr
        base = self._base_url()
        if not base:
            raise AdminError(tr("The ERP server is not running yet; try again in a moment."))
        token = self._token()
        if not token:
            raise AdminError(tr("This needs the server's admin token; enter it in the settings."))
        url = base.rstrip("/") + path
        try:
            response = self._client.request(
                method,
                url,
                params=params,
                json=json,
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.TimeoutException:
            raise AdminError(
                tr("The ERP server did not answer within {seconds:g} s; try again.").format(
                    seconds=self.timeout_s
                )
            ) from None
        except httpx.HTTPError as exc:
            raise AdminError(
                tr(
                    "Cannot reach the ERP server at {url} ({error}); check that it is running."
                ).format(url=base, error=type(exc).__name__)
            ) from None
        if response.is_success:
            return _decode(response, tr)
        raise _error(response, tr)


def _items(answer: Json, tr: Translate) -> list[Json]:
    items = answer.get("items")
    if not isinstance(items, list):
        raise AdminError(tr("The ERP server sent an answer this version of Vigia does not know."))
    return [item for item in items if isinstance(item, dict)]


def _decode(response: httpx.Response, tr: Translate) -> Json:
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        raise AdminError(
            tr("The ERP server answered HTTP {status} without JSON.").format(
                status=response.status_code
            ),
            response.status_code,
        ) from None
    return body if isinstance(body, dict) else {"items": body}


def _problem_detail(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, list) and detail:  # a validation problem: the first message
        first = detail[0]
        if isinstance(first, dict) and isinstance(first.get("msg"), str):
            return str(first["msg"])
    return None


def _error(response: httpx.Response, tr: Translate) -> AdminError:
    status = response.status_code
    detail = _problem_detail(response)
    if status in (401, 403):
        message = tr("The ERP server refused the admin token; check the token in the settings.")
    elif status == 404 and detail is None:
        message = tr("The ERP server does not offer this (it may be an older version).")
    elif detail:
        message = detail[0].upper() + detail[1:]
    else:
        message = tr("The ERP server answered HTTP {status}.").format(status=status)
    log.info(
        "admin call %s %s failed: HTTP %s %s",
        response.request.method,
        response.request.url.path,
        status,
        detail or "",
    )
    return AdminError(message, status, detail)
