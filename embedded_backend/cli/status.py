"""``vigia status [--url URL] [--json]``: health of a running backend."""

from __future__ import annotations

import argparse
import json
from typing import Any

from embedded_backend.cli.common import settings_from


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("status", help="health of a running backend")
    parser.add_argument("--url", help="backend address (default: the local one)")
    parser.add_argument("--json", action="store_true", help="print the health document")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds (default 5)")
    parser.set_defaults(handler=run)


def _local_url(args: argparse.Namespace) -> str:
    settings = settings_from(args)
    try:
        published = json.loads(settings.paths.run_file.read_text(encoding="utf-8"))
        return str(published["url"])
    except (OSError, ValueError, KeyError):
        return f"http://{settings.host}:{settings.port}"


def run(args: argparse.Namespace) -> int:
    import httpx  # imported here so that other commands start faster

    from embedded_backend.secrets import peek_admin_token

    url = (args.url or _local_url(args)).rstrip("/")
    headers = {}
    token = peek_admin_token(settings_from(args))
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = httpx.get(f"{url}/health", headers=headers, timeout=args.timeout)
        doc = response.json()
    except httpx.HTTPError as exc:
        message = f"no backend answers at {url} ({type(exc).__name__})"
        if args.json:
            print(json.dumps({"status": "fail", "url": url, "output": message}))
        else:
            print(f"Vigia at {url}: DOWN - {message}. Start it with 'vigia serve'.")
        return 1
    except ValueError:
        print(f"Vigia at {url}: answered HTTP {response.status_code} without a health document")
        return 1
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(_summary(url, doc))
    return 0 if doc.get("status") in ("pass", "warn") else 1


def _summary(url: str, doc: dict[str, Any]) -> str:
    checks = doc.get("checks", {})
    parts = [f"Vigia at {url}: {doc.get('status', '?')} (version {doc.get('version', '?')})"]
    db = (checks.get("database:responseTime") or [{}])[0]
    if db.get("observedValue") is not None:
        parts.append(f"DB {db['observedValue']:.1f} ms")
    routers = checks.get("routers:loaded") or []
    if routers:
        ok = sum(1 for r in routers if r.get("status") == "pass")
        parts.append(f"{ok}/{len(routers)} routers")
    lines = [" - ".join(parts)]
    if doc.get("output"):
        lines.append(f"  {doc['output']}")
    return "\n".join(lines)
