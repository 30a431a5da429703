"""Entry point of the ``vigia`` console script."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from embedded_backend import __version__
from embedded_backend.cli import backup, check, diagnostics, serve, status, tray, users
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
    diagnostics.add_parser(sub)
    tray.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", tray.run)
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
