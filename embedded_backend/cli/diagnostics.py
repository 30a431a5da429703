"""``vigia diagnostics PATH.zip [--force] [--url URL]``: the support bundle.

Works with the backend running or stopped, and with settings that do not load (a broken
vigia.toml is exactly when support is needed): what could not be collected is listed in
the bundle's README.txt.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from embedded_backend.backup.folder import format_size
from embedded_backend.cli.common import settings_from
from embedded_backend.config import Settings
from embedded_backend.errors import ConfigError


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "diagnostics",
        help="support bundle: logs, redacted settings, health history, system info",
    )
    parser.add_argument("path", metavar="PATH.zip", type=Path, help="the zip file to write")
    parser.add_argument("--force", action="store_true", help="overwrite PATH.zip if it exists")
    parser.add_argument(
        "--url", help="a backend on another machine (default: the local one, if running)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from embedded_backend.diagnostics import check_target, export_diagnostics

    check_target(args.path, args.force)  # a bad path fails before the slow parts
    settings: Settings | None
    try:
        settings = settings_from(args)
    except ConfigError:
        settings = None  # reported inside the bundle
    home = Path(args.home) if getattr(args, "home", None) else None
    bundle = export_diagnostics(
        args.path, settings=settings, home=home, force=args.force, backend_url=args.url
    )
    print(f"wrote {bundle.path} ({format_size(bundle.size)})")
    print("  contains: " + ", ".join(sorted({name.split("/")[0] for name in bundle.files})))
    if bundle.logs_truncated:
        print("  the logs were cut to the newest lines (size limit)")
    for problem in bundle.problems:
        print(f"  not collected: {problem}")
    print("Send this file to your IT support; it holds no passwords or database data.")
    return 0
