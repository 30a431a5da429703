"""``vigia backup restore ID [--yes]``: put a backup back in place of the database.

Without ``--yes`` it shows what will happen (the backup's date, size and schema, and the
database that will be replaced) and asks on the terminal; with no terminal to ask on
(a script, a service) it refuses and says to pass ``--yes``.

Backend stopped: the restore runs here (:func:`~embedded_backend.backup.restore.restore_backup`,
the same function the admin API runs). Backend running for this ``VIGIA_HOME`` (its
``vigia.run.json`` names a live process and its URL answers): the restore is asked of that
backend through the admin API with the admin token (``VIGIA_ADMIN_TOKEN`` or the
keyring), so it can pause writes and close its own connections for the swap; the job's
progress is printed as it goes. A backend that is registered but does not answer is
neither used nor worked around: the command refuses and says so.

Exit status 0 when the backup was restored, 1 with the reason otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import psutil

from embedded_backend.backup import Backup, backup_folder, list_backups
from embedded_backend.backup.folder import format_size
from embedded_backend.backup.restore import (
    RestoreResult,
    check_restorable,
    restore_backup,
    target_for,
)
from embedded_backend.cli.common import settings_from, setup_logging
from embedded_backend.config import Settings
from embedded_backend.errors import Error
from embedded_backend.secrets import peek_admin_token

ACTOR = "cli"
API = "/api/v1/admin/backups"
POLL_S = 0.5
PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class RunningBackend:
    url: str
    pid: int


def add_parser(actions: Any) -> None:
    restore = actions.add_parser(
        "restore",
        help="put a backup back in place of the database (what is there now is saved first)",
    )
    restore.add_argument("id", help="backup id, as 'vigia backup list' shows it")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.set_defaults(handler=run)


def running_backend(settings: Settings) -> RunningBackend | None:
    """The backend serving this VIGIA_HOME, if one is running; an Error if one is
    registered, alive, and does not answer (it cannot be restored under)."""
    path = settings.paths.run_file
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    pid, url = data.get("pid"), data.get("url")
    if not isinstance(pid, int) or not isinstance(url, str) or not psutil.pid_exists(pid):
        return None  # a file left by a backend that is gone
    try:
        httpx.get(f"{url.rstrip('/')}/livez", timeout=PROBE_TIMEOUT_S).raise_for_status()
    except httpx.HTTPError:
        raise Error(
            f"a Vigia backend (process {pid}) is registered in {path} but does not answer at "
            f"{url}; stop it and try again (if no Vigia is running, delete {path})"
        ) from None
    return RunningBackend(url.rstrip("/"), pid)


def _local(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _ago(moment: datetime) -> str:
    hours = max((datetime.now(UTC) - moment).total_seconds(), 0.0) / 3600
    if hours < 1:
        return f"{hours * 60:.0f} minutes ago"
    return f"{hours:.1f} hours ago" if hours < 48 else f"{hours / 24:.1f} days ago"


def _confirm(backup: Backup, replaces: str, running: RunningBackend | None) -> bool:
    if sys.stdin is None or not sys.stdin.isatty():
        raise Error(
            "restoring replaces the whole database and there is no terminal to ask for "
            "confirmation on; pass --yes to restore without being asked"
        )
    m = backup.manifest
    print(f"Restore backup {backup.id}?")
    print(f"  made:     {_local(m.created_at)} ({_ago(m.created_at)}), {m.trigger}, "
          f"schema {m.schema_revision}")  # fmt: skip
    print(f"  size:     {format_size(m.size)}, {backup.source}")
    print(f"  replaces: {replaces}")
    if running:
        print(f"  through:  the backend running at {running.url} (process {running.pid}); "
              "changes are paused while it restores")  # fmt: skip
    print("The data in the database now is saved first as a pre-restore backup; everything")
    print("written since this backup was made will then be gone from the database.")
    print("Type 'yes' to restore: ", end="", flush=True)
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def _show_progress(fraction: float, step: str) -> None:
    print(f"[{fraction * 100:3.0f}%] {step}", flush=True)


def _summary(result: dict[str, Any]) -> str:
    lines = [f"backup {result['backup_id']} restored in {result['duration_s']:.1f} s "
             f"(changes paused {result['maintenance_s']:.1f} s)"]  # fmt: skip
    if result.get("migrated"):
        lines.append(f"  schema migrated from {result['revision_before']} to "
                     f"{result['revision_after']}")  # fmt: skip
    if result.get("pre_restore_backup_id"):
        lines.append(f"  the data from before is in backup {result['pre_restore_backup_id']} "
                     f"({result['pre_restore_file']})")  # fmt: skip
    else:
        lines.append("  the old database could not be backed up (damaged?); it is kept as "
                     f"{result.get('replaced_kept')}")  # fmt: skip
    if result.get("note"):
        lines.append(f"  note: {result['note']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    setup_logging(settings, console=False)
    backup = list_backups(backup_folder(settings)).get(args.id)
    check_restorable(settings, backup)
    running = running_backend(settings)
    replaces = target_for(settings).description
    if not args.yes and not _confirm(backup, replaces, running):
        print("not restored; the database is unchanged")
        return 1
    if running is not None:
        return _through_backend(settings, running, backup.id)
    result: RestoreResult = restore_backup(
        settings, backup.id, actor=ACTOR, progress=_show_progress
    )
    print(_summary(result.as_dict()))
    return 0


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail or body.get("title") or f"HTTP {response.status_code}")


def _through_backend(settings: Settings, running: RunningBackend, backup_id: str) -> int:
    token = peek_admin_token(settings)
    if not token:
        raise Error(
            f"a Vigia backend is running at {running.url}, and restoring under it needs the "
            "admin token, which is neither in VIGIA_ADMIN_TOKEN nor in the keyring; restore "
            "from the tray (Backups...) or the admin API, or stop the backend first"
        )
    print(f"restoring through the backend running at {running.url} (process {running.pid})")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=running.url, headers=headers, timeout=30) as client:
        response = client.post(f"{API}/{backup_id}/restore", json={"confirm": backup_id})
        if response.status_code != 202:
            print(f"vigia: the backend refused the restore: {_problem(response)}",
                  file=sys.stderr)  # fmt: skip
            return 1
        job = _follow(client, response.json())
    if job["state"] != "done":
        print(f"vigia: restore failed: {job.get('error')}", file=sys.stderr)
        return 1
    print(_summary(job["result"]))
    return 0


def _follow(client: httpx.Client, job: dict[str, Any]) -> dict[str, Any]:
    """Poll the job until it ends, printing each new step."""
    shown = 0
    failures = 0
    while True:
        steps = job.get("steps") or []
        for step in steps[shown:]:
            _show_progress(float(step["progress"]), str(step["step"]))
        shown = len(steps)
        if job.get("state") in ("done", "failed"):
            return job
        time.sleep(POLL_S)
        try:
            response = client.get(f"{API}/jobs/{job['id']}")
            response.raise_for_status()
        except httpx.HTTPError as exc:
            failures += 1
            if failures >= 10:
                raise Error(
                    f"lost contact with the backend while it restores ({type(exc).__name__}); "
                    f"see 'vigia status' and 'vigia backup list' for the outcome"
                ) from None
            continue
        failures = 0
        job = response.json()
