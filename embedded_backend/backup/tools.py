"""The database client programs (pg_dump, pg_restore, mariadb-dump, mariadb): finding
them, and running them without ever putting a password on a command line or in a log.

Passwords reach the programs through their environment (``PGPASSWORD`` /
``MYSQL_PWD``); anything they print is scrubbed of the password before it is shown.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from embedded_backend.backup.errors import BackupFailed, ToolMissing

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tool:
    names: tuple[str, ...]  # tried in order on PATH
    debian_package: str
    windows: str  # how to get it on Windows

    @property
    def name(self) -> str:
        return self.names[0]


_PG_WINDOWS = (
    "on Windows, install the PostgreSQL 'Command Line Tools' (EDB installer) and add "
    "C:\\Program Files\\PostgreSQL\\<version>\\bin to PATH"
)
_MARIADB_WINDOWS = (
    "on Windows, install MariaDB (its MSI includes the client programs) and add "
    "C:\\Program Files\\MariaDB <version>\\bin to PATH"
)

PG_DUMP = Tool(("pg_dump",), "postgresql-client", _PG_WINDOWS)
PG_RESTORE = Tool(("pg_restore",), "postgresql-client", _PG_WINDOWS)
MARIADB_DUMP = Tool(("mariadb-dump", "mysqldump"), "mariadb-client", _MARIADB_WINDOWS)
MARIADB = Tool(("mariadb", "mysql"), "mariadb-client", _MARIADB_WINDOWS)


def find(tool: Tool) -> str:
    """The program's full path; :class:`ToolMissing` saying what to install otherwise."""
    for name in tool.names:
        found = shutil.which(name)
        if found:
            return found
    raise ToolMissing(
        f"{tool.name} was not found on PATH, and backups of this database need it. "
        f"Install it: on Debian/Ubuntu 'apt-get install {tool.debian_package}'; "
        f"{tool.windows}"
    )


def child_env(settings: Mapping[str, str], drop_prefixes: Sequence[str]) -> dict[str, str]:
    """This process's environment minus variables that could redirect the tool (every
    ``PG*`` / ``MYSQL*``), plus ``settings``: the URL is the only source of truth."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(tuple(drop_prefixes))}
    env.update(settings)
    return env


def scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def run(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    doing: str,
    secrets: Sequence[str] = (),
    stdin: IO[bytes] | None = None,
    stdout_file: Path | None = None,
    writes_file: bool = False,
) -> str:
    """Run a tool to completion; return its standard output (text, unless it went to
    ``stdout_file``). A non-zero exit is a :class:`BackupFailed` that quotes the tool's
    first error lines, scrubbed; for a tool that ``writes_file`` into the backup folder,
    running out of space is raised as ``OSError(ENOSPC)`` so the caller reports a full
    disk like any other."""
    log.debug("running %s", " ".join(argv))  # argv never holds a password
    try:
        if stdout_file is not None:
            with stdout_file.open("wb") as out:
                proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
                    list(argv),
                    env=dict(env),
                    stdin=stdin if stdin is not None else subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.PIPE,
                    check=False,
                )
        else:
            proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
                list(argv),
                env=dict(env),
                stdin=stdin if stdin is not None else subprocess.DEVNULL,
                capture_output=True,
                check=False,
            )
    except OSError as exc:
        raise BackupFailed(
            f"could not run {Path(argv[0]).name} to {doing}: {exc.strerror}"
        ) from None
    err = scrub(proc.stderr.decode("utf-8", "replace"), secrets)
    if proc.returncode != 0:
        if writes_file and "No space left on device" in err:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        lines = [line.strip() for line in err.splitlines() if line.strip()]
        detail = "; ".join(lines[:3]) or f"exit code {proc.returncode}"
        raise BackupFailed(f"{Path(argv[0]).name} failed to {doing}: {detail[:600]}")
    if err.strip():
        log.info("%s said: %s", Path(argv[0]).name, err.strip()[:1000])
    return "" if stdout_file is not None else proc.stdout.decode("utf-8", "replace")


def version(path: str) -> str:
    """``pg_dump (PostgreSQL) 15.20`` and the like; the bare name if it will not say."""
    try:
        proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [path, "--version"],
            env=child_env({}, ("PG", "MYSQL")),
            capture_output=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return Path(path).name
    return (
        proc.stdout.decode("utf-8", "replace").strip().splitlines()[0]
        if proc.stdout
        else Path(path).name
    )
