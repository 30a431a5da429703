"""Entry point of the ``vigia`` console script."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from embedded_backend import __version__
from embedded_backend.cli import backup, check, serve, status, users
from embedded_backend.errors import Error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vigia", description="Keeps the ERP backend running and says when it is not."
    )
    parser.add_argument("--version", action="version", version=f"vigia {__version__}")
    parser.add_argument("--home", help="data folder (default: VIGIA_HOME or the user data dir)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve.add_parser(sub)
    check.add_parser(sub)
    status.add_parser(sub)
    users.add_parser(sub)
    backup.add_parser(sub)
    tray = sub.add_parser("tray", help="tray app (the default command)")
    tray.set_defaults(handler=_tray)
    return parser


def _tray(args: argparse.Namespace) -> int:
    # The tray app (desktop/) is not part of this build yet: run the backend instead.
    print(
        "vigia: the tray app is not available in this build; running 'vigia serve' "
        "(Ctrl+C to stop)",
        file=sys.stderr,
    )
    args.host = args.port = None
    return serve.run(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", _tray)
    try:
        code: int = handler(args)
    except Error as exc:
        print(f"vigia: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
