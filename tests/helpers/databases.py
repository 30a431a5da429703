"""Scratch databases on the real servers: created per test, dropped afterwards.

SQLite: a file in the test's temp dir. PostgreSQL (127.0.0.1:5432, trust auth) and
MariaDB (127.0.0.1:3306, root without password): a fresh database named
``vigia_t_<random>``; never the shared ``test`` database.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pymysql

PG_ADMIN = os.environ.get("VIGIA_TEST_PG", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
MARIA_URL = "mariadb+pymysql://root@127.0.0.1:3306/{name}"

BACKENDS = ("sqlite", "postgresql", "mariadb")


def _name() -> str:
    return f"vigia_t_{secrets.token_hex(6)}"


@contextmanager
def postgresql_database() -> Iterator[str]:
    name = _name()
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.format(name=name)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def mariadb_database() -> Iterator[str]:
    name = _name()
    conn = pymysql.connect(
        host="127.0.0.1", port=3306, user="root", password="", connect_timeout=5, autocommit=True
    )
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        yield MARIA_URL.format(name=name)
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


@contextmanager
def scratch_database(backend: str, tmp: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'vigia.db'}"
    elif backend == "postgresql":
        with postgresql_database() as url:
            yield url
    elif backend == "mariadb":
        with mariadb_database() as url:
            yield url
    else:  # pragma: no cover
        raise ValueError(backend)
