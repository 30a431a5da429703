"""``vigia check [--json]``: preflight checks; exit 0 when none fails."""

from __future__ import annotations

import argparse
import json
from typing import Any

from embedded_backend.cli.common import settings_from
from embedded_backend.errors import ConfigError
from embedded_backend.secrets import DATABASE_LOGIN_FIX, database_password_problem

_MARK = {"pass": "ok  ", "warn": "WARN", "fail": "FAIL"}


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("check", help="preflight checks (exit 1 if any fails)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from embedded_backend.preflight import CheckResult, run_checks  # heavy: only when used

    try:
        settings = settings_from(args)
    except ConfigError as exc:  # e.g. a broken vigia.toml: still one answer in the asked format
        results = [
            CheckResult(
                "settings",
                "fail",
                str(exc),
                "fix or delete vigia.toml, or correct the VIGIA_* variables",
            )
        ]
        home = None
    else:
        results = run_checks(settings)
        home = str(settings.home)
        problem = database_password_problem(settings)
        if problem:
            results.append(CheckResult("database_password", "warn", problem, DATABASE_LOGIN_FIX))
    failed = [r for r in results if r.status == "fail"]
    if args.json:
        print(
            json.dumps(
                {"ok": not failed, "home": home, "checks": [r.as_dict() for r in results]}, indent=2
            )
        )
    else:
        for r in results:
            line = f"[{_MARK[r.status]}] {r.name}: {r.message}"
            if r.status != "pass" and r.fix:
                line += f" -> {r.fix}"
            print(line)
        print(f"{len(failed)} check(s) failed" if failed else "all checks passed")
    return 1 if failed else 0
