"""``vigia tray`` (and ``vigia`` with no command): the tray app.

The tray lives in ``desktop/`` and needs PySide6; it is imported only here, when the tray
is asked for, so ``vigia serve|check|status|backup`` never load Qt. Where Qt cannot start
(PySide6 not installed, no graphical display) the backend runs in the foreground instead,
as ``vigia serve`` would, after a one-line note.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from embedded_backend.cli import serve

COMMANDS = ("show", "restart", "quit")


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "tray",
        help="tray app (the default command)",
        description=(
            "Tray app: embeds and supervises the backend (default), or watches a backend "
            "on another computer with --url. One per data folder: a second launch opens "
            "the first one's dashboard."
        ),
    )
    add_arguments(parser)
    parser.set_defaults(handler=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url", help="watch the backend at this address instead of running one here"
    )
    parser.add_argument(
        "--token",
        help="that backend's admin token (better: the VIGIA_ADMIN_TOKEN environment variable)",
    )
    parser.add_argument(
        "--command",
        dest="tray_command",
        choices=COMMANDS,
        help="send this to the tray already running for the data folder, then exit",
    )
    parser.add_argument("--language", help="UI language, e.g. pt_BR or en (default: the system's)")
    parser.add_argument("--dashboard", action="store_true", help="open the dashboard at start")


def run(args: argparse.Namespace) -> int:
    remote = bool(getattr(args, "url", None))
    command = getattr(args, "tray_command", None)
    try:
        from desktop.core.errors import Error as DesktopError
        from desktop.ui.app import TrayUnavailable, run_tray
    except ImportError as exc:  # PySide6 (or a part of it) is not installed
        why = f"the tray app needs PySide6 (cannot import {exc.name or exc})"
        return _fallback(args, why, remote, command)
    try:
        return run_tray(args, say=_say)
    except TrayUnavailable as exc:
        return _fallback(args, str(exc), remote, command)
    except DesktopError as exc:  # a bad --url, say
        _say(f"vigia: {exc}")
        return 1


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def _fallback(args: argparse.Namespace, why: str, remote: bool, command: str | None) -> int:
    if remote or command:
        print(f"vigia: cannot start the tray: {why}", file=sys.stderr)
        return 1
    print(f"vigia: {why}; running 'vigia serve' instead (Ctrl+C to stop)", file=sys.stderr)
    args.host = args.port = None
    return serve.run(args)
