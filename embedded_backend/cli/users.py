"""``vigia users list | create NAME | reset-password NAME``: works with the server stopped."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from embedded_backend.backup.automatic import migrate_with_backup
from embedded_backend.cli.common import settings_from, setup_logging
from embedded_backend.db.database import Database
from embedded_backend.db.models import User
from embedded_backend.erp import audit
from embedded_backend.erp import users as users_service
from embedded_backend.errors import ConfigError
from embedded_backend.schemas.users import UserCreate
from embedded_backend.security import generate_password


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("users", help="list, create users, reset a password")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="list users").set_defaults(handler=run_list)
    create = actions.add_parser("create", help="create a user")
    create.add_argument("username")
    create.add_argument("--role", choices=("staff", "admin"), default="staff")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create.set_defaults(handler=run_create)
    reset = actions.add_parser("reset-password", help="set a new password")
    reset.add_argument("username")
    reset.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    reset.set_defaults(handler=run_reset)


def _database(args: argparse.Namespace) -> Database:
    settings = settings_from(args)
    setup_logging(settings, console=False)
    settings.paths.ensure()
    db = Database(settings)
    migrate_with_backup(settings, db)  # an upgraded schema is backed up first
    return db


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """(password, generated)."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("New password (empty = generate one): ")
        if password and getpass.getpass("Repeat it: ") != password:
            raise ConfigError("the two passwords differ; nothing was changed")
    else:
        password = ""
    if not password:
        return generate_password(), True
    if len(password) < 8:
        raise ConfigError("the password must have at least 8 characters; nothing was changed")
    return password, False


def run_list(args: argparse.Namespace) -> int:
    db = _database(args)
    try:
        with db.read_session() as session:
            for user in session.scalars(select(User).order_by(User.id)):
                state = "active" if user.is_active else "disabled"
                print(f"{user.id:>4}  {user.username:<24} {user.role:<6} {state}")
    finally:
        db.dispose()
    return 0


def run_create(args: argparse.Namespace) -> int:
    password, generated = _password(args)
    try:
        data = UserCreate(username=args.username, password=password, role=args.role)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(
            f"cannot create user '{args.username}': {problems}; nothing was changed"
        ) from None
    db = _database(args)
    try:

        def work(session: Session) -> None:
            users_service.create_user(session, data)
            audit.record(session, "cli", "user.create", data.username, {"role": data.role})

        db.write(work)
    finally:
        db.dispose()
    print(f"created user '{data.username}' ({data.role})")
    if generated:
        print(f"password: {password}")
    return 0


def run_reset(args: argparse.Namespace) -> int:
    password, generated = _password(args)
    db = _database(args)
    try:

        def work(session: Session) -> None:
            users_service.set_password(session, args.username, password)
            audit.record(session, "cli", "user.reset_password", args.username)

        db.write(work)
    finally:
        db.dispose()
    print(f"new password set for '{args.username}'")
    if generated:
        print(f"password: {password}")
    return 0
