"""The parts of the bundle about this installation: settings, preflight, system,
versions, backups."""

from __future__ import annotations

import json
import os
import platform
import socket
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from embedded_backend import __version__
from embedded_backend.config import Settings
from embedded_backend.config.settings import SECRET_FIELDS


def settings_report(settings: Settings | None, problem: str | None) -> dict[str, Any]:
    from embedded_backend.settings_audit import redacted_url

    environment = sorted(name for name in os.environ if name.startswith("VIGIA_"))
    if settings is None:
        return {"error": problem, "environment_variables_set": environment}
    values: dict[str, Any] = {}
    for name, value in settings.model_dump(mode="json").items():
        if name in SECRET_FIELDS:
            values[name] = "(set)" if value is not None else "(not set)"
        elif name in ("database_url", "redis_url"):
            values[name] = redacted_url(value)
        else:
            values[name] = value
    values["effective_database_url"] = redacted_url(settings.effective_database_url)
    return {"settings": values, "environment_variables_set": environment}


def preflight_report(settings: Settings | None, problem: str | None) -> dict[str, Any]:
    from embedded_backend.preflight import run_checks

    if settings is None:
        failed = {"name": "settings", "status": "fail", "message": problem}
        return {"ok": False, "home": None, "checks": [failed]}
    results = [r.as_dict() for r in run_checks(settings)]
    _explain_port(results, settings)
    ok = not any(r["status"] == "fail" for r in results)
    return {"ok": ok, "home": str(settings.home), "checks": results}


def _explain_port(results: list[dict[str, object]], settings: Settings) -> None:
    """The port check fails while the backend runs (it holds the port): say so."""
    import psutil

    try:
        published = json.loads(settings.paths.run_file.read_text(encoding="utf-8"))
        pid, port = int(published["pid"]), int(published["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return
    if port != settings.port or not psutil.pid_exists(pid):
        return
    for result in results:
        if result.get("name") == "port" and result.get("status") == "fail":
            result["note"] = f"expected: the running Vigia backend (pid {pid}) holds port {port}"


def system_report(home: Path) -> dict[str, Any]:
    import psutil

    from embedded_backend.observability.system import ProcessProbe, system_info

    info = system_info(ProcessProbe(), home)
    info["machine"] = {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "boot_time": datetime.fromtimestamp(psutil.boot_time(), UTC).isoformat(),
        "timezone": datetime.now().astimezone().tzname(),
        "locale": os.environ.get("LANG") or os.environ.get("LC_ALL"),
    }
    info["generated_at"] = datetime.now(UTC).isoformat()
    return info


def versions_report() -> dict[str, Any]:
    packages = {
        dist.metadata["Name"]: dist.version
        for dist in metadata.distributions()
        if dist.metadata["Name"]
    }
    return {
        "vigia": __version__,
        "python": sys.version,
        "executable": sys.executable,
        "frozen": bool(getattr(sys, "frozen", False)),
        "os": platform.platform(),
        "packages": dict(sorted(packages.items(), key=lambda kv: kv[0].lower())),
    }


def backups_report(settings: Settings | None) -> dict[str, Any]:
    if settings is None:
        return {"error": "settings could not be loaded"}
    from embedded_backend.backup import backup_folder, list_backups

    folder = backup_folder(settings)
    listing = list_backups(folder)
    return {
        "folder": str(folder),
        "backups": [b.as_dict() for b in listing.backups],
        "bad": [p.as_dict() for p in listing.bad],
        "ignored": [p.as_dict() for p in listing.ignored],
    }
