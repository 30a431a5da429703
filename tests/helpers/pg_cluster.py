"""A private PostgreSQL cluster a test may stop and start for real (``pg_ctl``).

The shared server at 127.0.0.1:5432 must never be stopped (other tests use it), so a test
that needs PostgreSQL to really go away runs its own: ``initdb`` in a fresh directory under
/tmp (pytest's ``tmp_path`` is 0700 root-only, and PostgreSQL refuses to run as root, so
as root the cluster belongs to the ``postgres`` user and every tool runs through
``runuser``), a free TCP port on 127.0.0.1, the unix socket inside that directory, trust
authentication. :func:`pg_cluster` always stops it (``immediate``) and deletes it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import psycopg
import pytest

from tests.helpers.redis_server import free_port

StopMode = Literal["smart", "fast", "immediate"]


def _bin_dir() -> Path:
    """The newest installed server binaries (``/usr/lib/postgresql/<major>/bin``), or skip."""
    found = sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if Path(p, "pg_ctl").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not found:
        pytest.skip("PostgreSQL server binaries are not installed (Debian package postgresql)")
    return found[-1]


class PgCluster:
    """One cluster; ``start``/``stop`` are the real ``pg_ctl`` commands, waited for."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self._as: list[str] = []
        owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL")
            self._as = ["runuser", "-u", "postgres", "--"]
        self.folder = Path(tempfile.mkdtemp(prefix="vigia-pg-", dir="/tmp"))
        if owner is not None:
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = free_port()
        self.started = False

    # -- addresses ---------------------------------------------------------------
    def url(self, database: str) -> str:
        """The SQLAlchemy URL ``vigia`` uses (TCP, user postgres, trust auth)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            dbname=database,
            autocommit=True,
            connect_timeout=5,
        )

    # -- control -----------------------------------------------------------------
    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self._as, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.folder,  # runuser keeps the cwd; postgres must be able to enter it
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{Path(args[0]).name} failed ({result.returncode}): "
                f"{result.stdout}{result.stderr}{self.server_log()[-2000:]}"
            )
        return result

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "-D", str(self.data),
            "-U", "postgres",
            "-A", "trust",
            "-E", "UTF8",
            "--no-instructions",
        )  # fmt: skip

    def start(self) -> None:
        """``pg_ctl start -w``: returns once the server accepts connections."""
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c max_connections=40 -c shared_buffers=16MB"
        )
        self._run(
            str(self.bin / "pg_ctl"), "start", "-w", "-t", "60",
            "-D", str(self.data), "-l", str(self.log), "-o", options,
        )  # fmt: skip
        self.started = True

    def stop(self, mode: StopMode = "fast") -> None:
        """``pg_ctl stop -m <mode>``: ``fast`` ends sessions and checkpoints; ``immediate``
        kills every server process at once (crash recovery on the next start)."""
        self._run(str(self.bin / "pg_ctl"), "stop", "-w", "-t", "60", "-m", mode,
                  "-D", str(self.data))  # fmt: skip
        self.started = False

    def create_database(self, name: str) -> None:
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def server_log(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def remove(self) -> None:
        if self.data.exists() and (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def pg_cluster() -> Iterator[PgCluster]:
    """A fresh, running cluster; stopped and deleted at the end, whatever happened."""
    cluster = PgCluster()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
