"""The parts of the bundle that other processes keep: the running backend (asked over
HTTP) and the tray's health history and alerts (read from its SQLite file, read-only)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from embedded_backend.config import Settings
from embedded_backend.diagnostics.bundle import Writer
from embedded_backend.paths import Paths

HTTP_TIMEOUT_S = 3.0


def _local_backend(paths: Paths) -> tuple[str | None, str]:
    try:
        published = json.loads(paths.run_file.read_text(encoding="utf-8"))
        return str(published["url"]), f"published in {paths.run_file.name}"
    except FileNotFoundError:
        return None, f"not running ({paths.run_file.name} does not exist)"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, f"not running ({paths.run_file.name} is unreadable: {type(exc).__name__})"


def backend_parts(
    writer: Writer,
    paths: Paths,
    url: str | None,
    token: str | None,
    settings: Settings | None,
) -> None:
    reason = "given by the tray (remote backend)"
    if url is None:
        url, reason = _local_backend(paths)
    if url is None:
        writer.value("backend/health.json", {"status": "not running", "reason": reason})
        return
    if token is None and settings is not None:
        from embedded_backend.secrets import peek_admin_token

        token = peek_admin_token(settings)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    base = url.rstrip("/")
    with httpx.Client(timeout=HTTP_TIMEOUT_S, trust_env=False, headers=headers) as client:
        try:
            response = client.get(f"{base}/health")
            health: dict[str, Any] = {"url": base, "http_status": response.status_code}
            health["document"] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            failure = {"status": "not answering", "url": base, "error": type(exc).__name__}
            writer.value("backend/health.json", failure)
            return
        writer.value("backend/health.json", health)
        if not token:
            writer.bundle.problems.append("backend details: no admin token available")
            return
        for name, path in (
            ("alerts", "/api/v1/monitoring/alerts"),
            ("routers", "/api/v1/admin/routers"),
            ("performance", "/api/v1/monitoring/performance"),
            ("system-info", "/api/v1/monitoring/system/info"),
        ):
            writer.value(f"backend/{name}.json", _get_json(client, base + path))


def _get_json(client: httpx.Client, url: str) -> dict[str, Any]:
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        return {"error": type(exc).__name__}
    try:
        body = response.json()
    except ValueError:
        body = None
    return {"http_status": response.status_code, "body": body}


def history_parts(writer: Writer, db_path: Path) -> None:
    if not db_path.is_file():
        return
    uri = db_path.absolute().as_uri() + "?mode=ro"
    writer.text("desktop/health-history.csv", lambda: history_csv(uri))
    writer.json("desktop/alerts.json", lambda: history_alerts(uri))


def history_csv(uri: str) -> str:
    lines = ["resolution_s,bucket_start_utc,metric,count,mean,min,max"]
    with closing(sqlite3.connect(uri, uri=True)) as db:
        rows = db.execute(
            "SELECT resolution, bucket, metric, n, total, low, high FROM aggregate "
            "ORDER BY resolution, metric, bucket"
        )
        for resolution, bucket, metric, n, total, low, high in rows:
            start = datetime.fromtimestamp(bucket, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            mean = total / n if n else 0.0
            lines.append(f"{resolution},{start},{metric},{n},{mean:.3f},{low:.3f},{high:.3f}")
    return "\n".join(lines) + "\n"


def history_alerts(uri: str) -> list[dict[str, Any]]:
    with closing(sqlite3.connect(uri, uri=True)) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT * FROM alert ORDER BY raised_at DESC LIMIT 5000").fetchall()
    alerts = []
    for row in rows:
        item = dict(row)
        for key in ("raised_at", "updated_at", "resolved_at"):
            if item.get(key) is not None:
                item[key] = datetime.fromtimestamp(item[key], UTC).isoformat()
        alerts.append(item)
    return alerts
