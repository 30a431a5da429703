"""``vigia backup create | list [--json] | verify ID | restore ID [--yes] | prune``: works
with the server running or stopped (``restore`` asks a running backend to do it:
cli/backup_restore.py). Every action is logged and, when the database can take it,
audited (actor ``cli``)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from embedded_backend.backup import (
    TRIGGERS,
    BackupError,
    Listing,
    backup_folder,
    create_backup,
    list_backups,
    prune_backups,
    record_with_settings,
    verify_backup,
)
from embedded_backend.backup.folder import format_size
from embedded_backend.cli import backup_restore
from embedded_backend.cli.common import settings_from, setup_logging
from embedded_backend.config import Settings

ACTOR = "cli"
DEFAULT_WAIT_S = 10.0


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("backup", help="make, list, verify, restore and prune backups")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = actions.add_parser("create", help="back up the database now")
    create.add_argument(
        "--trigger", choices=TRIGGERS, default="manual", help="why (for the record)"
    )
    create.add_argument(
        "--wait",
        type=float,
        default=DEFAULT_WAIT_S,
        metavar="SECONDS",
        help=f"wait this long for a running backup to finish (default {DEFAULT_WAIT_S:g})",
    )
    create.add_argument("--json", action="store_true", help="machine-readable output")
    create.set_defaults(handler=run_create)

    listing = actions.add_parser("list", help="list backups, newest first")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(handler=run_list)

    verify = actions.add_parser("verify", help="check that a backup is intact")
    verify.add_argument("id", help="backup id, as 'vigia backup list' shows it")
    verify.add_argument(
        "--deep",
        action="store_true",
        help="PostgreSQL/MariaDB: also restore it into a scratch database",
    )
    verify.add_argument("--json", action="store_true", help="machine-readable output")
    verify.set_defaults(handler=run_verify)

    backup_restore.add_parser(actions)

    prune = actions.add_parser("prune", help="delete old backups (retention)")
    prune.add_argument("--keep-daily", type=int, metavar="N", help="default: backup_keep_daily")
    prune.add_argument("--keep-weekly", type=int, metavar="M", help="default: backup_keep_weekly")
    prune.add_argument("--dry-run", action="store_true", help="only show what would be deleted")
    prune.add_argument(
        "--wait", type=float, default=DEFAULT_WAIT_S, metavar="SECONDS", help="see 'create'"
    )
    prune.add_argument("--json", action="store_true", help="machine-readable output")
    prune.set_defaults(handler=run_prune)


def _settings(args: argparse.Namespace) -> Settings:
    settings = settings_from(args)
    setup_logging(settings, console=False)
    return settings


def _audit(settings: Settings, action: str, target: str | None, detail: dict[str, Any]) -> None:
    record_with_settings(settings, ACTOR, action, target, detail)


def _local(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def run_create(args: argparse.Namespace) -> int:
    settings = _settings(args)
    try:
        backup = create_backup(settings, args.trigger, wait_s=args.wait)
    except BackupError as exc:
        _audit(
            settings,
            "backup.create",
            None,
            {"ok": False, "trigger": args.trigger, "error": str(exc)},
        )
        raise
    _audit(
        settings,
        "backup.create",
        backup.id,
        {"ok": True, "trigger": backup.trigger, "size": backup.size, "source": backup.source},
    )
    if args.json:
        print(json.dumps(backup.as_dict(), indent=2))
    else:
        print(
            f"backup {backup.id} created: {backup.path} ({format_size(backup.size)}, "
            f"integrity ok, sha256 {backup.manifest.sha256[:12]}...)"
        )
    return 0


def _age(moment: datetime) -> str:
    hours = (datetime.now(UTC) - moment).total_seconds() / 3600
    if hours < 1:
        return f"{max(hours * 60, 0):.0f} minutes ago"
    if hours < 48:
        return f"{hours:.1f} hours ago"
    return f"{hours / 24:.1f} days ago"


def _print_table(listing: Listing) -> None:
    print(f"Backups in {listing.folder}")
    if not listing.backups:
        print("  no backups yet ('vigia backup create' makes one)")
    else:
        header = ("ID", "CREATED (local)", "SIZE", "SOURCE", "TRIGGER", "VERIFIED")
        rows = [header]
        for b in listing.backups:
            last = b.manifest.last_verification
            verified = "yes" + (f" ({_local(last.at)[:10]})" if last else " (when made)")
            rows.append(
                (b.id, _local(b.created_at), format_size(b.size), b.source, b.trigger, verified)
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            print(
                "  "
                + "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
        newest = listing.backups[0]
        print(f"{len(listing.backups)} backup(s); the newest is from {_age(newest.created_at)}")
    if listing.bad:
        print("Not usable (do not restore these):")
        for p in listing.bad:
            print(f"  {p.name}: {p.reason}")
    if listing.ignored:
        print("Ignored:")
        for p in listing.ignored:
            print(f"  {p.name}: {p.reason}")


def run_list(args: argparse.Namespace) -> int:
    settings = _settings(args)
    listing = list_backups(backup_folder(settings))
    if args.json:
        items = [b.as_dict() for b in listing.backups] + [p.as_dict() for p in listing.bad]
        print(json.dumps(items, indent=2))
        for p in listing.ignored:
            print(f"vigia: ignored {p.name}: {p.reason}", file=sys.stderr)
    else:
        _print_table(listing)
    return 0


def run_verify(args: argparse.Namespace) -> int:
    settings = _settings(args)
    report = verify_backup(settings, args.id, deep=args.deep)
    _audit(
        settings,
        "backup.verify",
        args.id,
        {"ok": report.ok, "deep": report.deep, "problem": report.problem},
    )
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        for check in report.checks:
            mark = "ok  " if check.ok else "FAIL"
            print(f"[{mark}] {check.name}: {check.detail}")
        print(f"backup {report.id} is intact" if report.ok else str(report.problem))
    return 0 if report.ok else 1


def run_prune(args: argparse.Namespace) -> int:
    settings = _settings(args)
    result = prune_backups(
        settings,
        keep_daily=args.keep_daily,
        keep_weekly=args.keep_weekly,
        dry_run=args.dry_run,
        wait_s=args.wait,
    )
    if not result.dry_run:
        _audit(
            settings,
            "backup.prune",
            None,
            {"deleted": [d.backup.id for d in result.deleted], "kept": len(result.kept)},
        )
    if args.json:
        print(
            json.dumps(
                {
                    "dry_run": result.dry_run,
                    "deleted": [d.backup.id for d in result.deleted],
                    "kept": [{"id": d.backup.id, "reasons": list(d.reasons)} for d in result.kept],
                },
                indent=2,
            )
        )
        return 0
    verb = "would delete" if result.dry_run else "deleted"
    for d in result.deleted:
        print(f"{verb} {d.backup.id} ({_local(d.backup.created_at)}, {format_size(d.backup.size)})")
    for d in result.kept:
        print(f"kept {d.backup.id}: {', '.join(d.reasons)}")
    done = "would be deleted" if result.dry_run else "deleted"
    print(f"{len(result.deleted)} backup(s) {done}, {len(result.kept)} kept")
    return 0
