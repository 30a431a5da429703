"""MariaDB (and MySQL): ``mariadb-dump --single-transaction`` and its checks.

``--single-transaction`` dumps InnoDB tables from one consistent snapshot without locking
them, so the backend keeps writing. A finished dump ends with a ``-- Dump completed``
line; a dump without it was cut short. At creation the dump is also restored into a
scratch database (see scratch.py), where rows are counted and the schema revision read.

Connection details come from the database URL; the password reaches the tools only as
``MYSQL_PWD`` in their environment, never on the command line.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Literal

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from embedded_backend.backup import scratch, tools
from embedded_backend.backup.deep_check import deep_checks
from embedded_backend.backup.errors import BackupFailed
from embedded_backend.backup.manifest import Check, Manifest
from embedded_backend.backup.result import DumpResult
from embedded_backend.backup.scratch import (
    engine_for,
)

log = logging.getLogger(__name__)

COMPLETION_MARKER = b"\n-- Dump completed"
_TAIL = 4096


def connection_args(url: URL) -> list[str]:
    """``--no-defaults`` (first: ignore ~/.my.cnf, the URL is the truth) and where to
    connect. No password here: see :func:`mysql_env`."""
    args = ["--no-defaults"]
    socket = url.query.get("unix_socket")
    if isinstance(socket, str) and socket:
        args.append(f"--socket={socket}")
    else:
        args.append(f"--host={url.host or '127.0.0.1'}")
        args.append(f"--port={url.port or 3306}")
        args.append("--protocol=TCP")
    if url.username:
        args.append(f"--user={url.username}")
    return args


def mysql_env(url: URL) -> dict[str, str]:
    env = tools.child_env({}, ("MYSQL",))
    if url.password:
        env["MYSQL_PWD"] = str(url.password)
    return env


def _secrets(url: URL) -> list[str]:
    return [str(url.password)] if url.password else []


def has_completion_marker(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - _TAIL))
        return COMPLETION_MARKER in fh.read()


def restore_into(url: URL, database: str, path: Path) -> None:
    """Load the dump ``path`` into the existing, empty ``database`` on ``url``'s server."""
    client = tools.find(tools.MARIADB)
    argv = [
        client,
        *connection_args(url),
        f"--database={database}",
        "--default-character-set=utf8mb4",
        "--binary-mode",
        "--batch",
    ]
    with path.open("rb") as dump:
        tools.run(
            argv,
            mysql_env(url),
            doing=f"load {path.name} into a scratch database",
            secrets=_secrets(url),
            stdin=dump,
        )


def trial_restore(url: URL, path: Path) -> tuple[str | None, dict[str, int]]:
    """Restore into a scratch database; return (schema revision, rows per table)."""
    return scratch.trial_restore(url, path, restore_into)


class MariadbSource:
    kind: Literal["mariadb"] = "mariadb"

    def __init__(self, url: URL) -> None:
        self.url = url
        self.description = url.render_as_string(hide_password=True)
        self.dump_tool = tools.find(tools.MARIADB_DUMP)
        tools.find(tools.MARIADB)

    def required_space(self) -> int | None:
        return None  # unknown in advance

    def _source_size(self) -> int | None:
        engine = engine_for(self.url)
        try:
            with engine.connect() as conn:
                size = conn.execute(
                    text(
                        "SELECT SUM(data_length + index_length) FROM information_schema.tables "
                        "WHERE table_schema = DATABASE()"
                    )
                ).scalar()
                return int(size) if size is not None else None
        except SQLAlchemyError as exc:
            raise BackupFailed(
                f"cannot reach the MariaDB database {self.description}: {scratch.reason(exc)}"
            ) from None
        finally:
            engine.dispose()

    def dump(self, dest: Path) -> DumpResult:
        source_size = self._source_size()
        argv = [
            self.dump_tool,
            *connection_args(self.url),
            "--single-transaction",
            "--routines",
            "--triggers",
            "--hex-blob",
            "--no-tablespaces",
            "--default-character-set=utf8mb4",
            f"--result-file={dest}",
            self.url.database or "",
        ]
        tools.run(
            argv,
            mysql_env(self.url),
            doing=f"dump {self.description}",
            secrets=_secrets(self.url),
            writes_file=True,
        )
        if not has_completion_marker(dest):
            raise BackupFailed(
                f"{Path(self.dump_tool).name} stopped before the end of the dump (no "
                "'Dump completed' line); try again, and check the MariaDB server's log"
            )
        revision, counts = trial_restore(self.url, dest)
        checks = (
            Check(name="completion marker", ok=True, detail="-- Dump completed"),
            Check(
                name="test restore", ok=True, detail=f"{len(counts)} tables restored and counted"
            ),
        )
        return DumpResult(revision, counts, source_size, tools.version(self.dump_tool), checks)


def verify(path: Path, manifest: Manifest, url: URL | None, deep: bool) -> list[Check]:
    """The completion marker; with ``deep``, a test restore on ``url``'s server whose rows
    and revision must match the manifest."""
    complete = has_completion_marker(path)
    checks = [
        Check(
            name="completion marker",
            ok=complete,
            detail="-- Dump completed"
            if complete
            else "the dump is cut short (no 'Dump completed' line)",
        )
    ]
    if not complete or not deep:
        return checks
    return deep_checks(
        checks,
        manifest,
        url,
        path,
        server="MariaDB",
        backends=("mysql", "mariadb"),
        trial_restore=trial_restore,
    )
