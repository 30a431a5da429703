"""Scratch PostgreSQL databases for the benchmark: created per run, dropped at the end.

Every database of one run is named ``vigia_bench_<random>_<server>``; ``drop_all`` drops
them (``WITH (FORCE)``, so a server that did not let go of its connections cannot keep
one alive). The admin URL names the server and the role that may create databases; the
default is the project's test server (127.0.0.1:5432, user postgres, trust auth).
"""

from __future__ import annotations

import secrets
import urllib.parse

import psycopg
from psycopg import sql

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


class ScratchDatabases:
    def __init__(self, admin_url: str = DEFAULT_ADMIN_URL) -> None:
        self.admin_url = admin_url
        self.prefix = f"vigia_bench_{secrets.token_hex(4)}"
        self.created: list[str] = []

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5)

    def server_version(self) -> str:
        with self._connect() as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"

    def backend_pids(self) -> list[int]:
        """PIDs of the PostgreSQL backends connected to this run's databases.

        The benchmark counts their CPU as the database's work for the run, not as "other
        processes" (the server is on the same machine).
        """
        if not self.created:
            return []
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s)", (self.created,)
            ).fetchall()
        return [int(row[0]) for row in rows]

    def create(self, name: str) -> str:
        """Create ``<prefix>_<name>``; return its SQLAlchemy URL (psycopg 3 driver)."""
        database = f"{self.prefix}_{name}".replace("-", "_")
        with self._connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        self.created.append(database)
        parts = urllib.parse.urlsplit(self.admin_url)
        return urllib.parse.urlunsplit(
            ("postgresql+psycopg", parts.netloc, "/" + database, parts.query, "")
        )

    def drop_all(self) -> list[str]:
        """Drop every database this run created; return a line per one that could not be."""
        failures: list[str] = []
        if not self.created:
            return failures
        with self._connect() as conn:
            for database in self.created:
                statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                try:
                    conn.execute(statement.format(sql.Identifier(database)))
                except psycopg.Error as exc:
                    failures.append(f"{database}: {type(exc).__name__}: {exc}")
        self.created = []
        return failures
