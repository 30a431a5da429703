"""``vigia serve``: the backend in the foreground. SIGINT/SIGTERM stop it gracefully."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType
from typing import Any

from embedded_backend.cli.common import settings_from, setup_logging
from embedded_backend.config import Settings
from embedded_backend.errors import ServerStartError
from embedded_backend.logs import shutdown_logging
from embedded_backend.secrets import DATABASE_LOGIN_FIX, database_password_problem
from embedded_backend.server import ServerRunner

log = logging.getLogger(__name__)


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("serve", help="run the backend in the foreground")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="TCP port (0 = pick a free one)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args, host=args.host, port=args.port)
    setup_logging(settings)
    problem = database_password_problem(settings)
    if problem:
        log.warning("%s; %s", problem, DATABASE_LOGIN_FIX)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()

    signals = [signal.SIGINT, signal.SIGTERM]
    if sys.platform == "win32":  # pragma: no cover
        signals.append(signal.SIGBREAK)
    previous = {sig: signal.signal(sig, on_signal) for sig in signals}
    runner = ServerRunner(settings)
    try:
        try:
            runner.start()
        except ServerStartError as exc:
            print(f"vigia: cannot start: {exc}", file=sys.stderr)
            return 1
        except OSError as exc:  # e.g. VIGIA_HOST is not an address of this machine
            print(f"vigia: cannot start: {_os_problem(exc, settings)}", file=sys.stderr)
            return 1
        print(f"Vigia serving on {runner.url} (home {settings.home}); Ctrl+C to stop", flush=True)
        while not stop.wait(0.5):
            if not runner.alive:
                print(f"vigia: the server stopped: {runner.error}", file=sys.stderr)
                return 1
        print("vigia: stopping (finishing requests in progress)...", file=sys.stderr, flush=True)
        return 0 if runner.stop() else 1
    finally:
        runner.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        shutdown_logging()


def _os_problem(exc: OSError, settings: Settings) -> str:
    reason = exc.strerror or str(exc)
    if exc.filename:
        return f"{exc.filename}: {reason}; check that Vigia may write its data folder"
    return (
        f"cannot listen on {settings.host} port {settings.port}: {reason}; set VIGIA_HOST "
        "to an address of this machine (127.0.0.1 for this PC only)"
    )
