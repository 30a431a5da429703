"""A real, migrated database with a few ERP rows, and settings pointing at it."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from embedded_backend.config import Settings
from embedded_backend.db.database import Database
from embedded_backend.db.migrate import migrate_to_head
from embedded_backend.db.models import Customer, Product
from tests.helpers.databases import mariadb_database, postgresql_database


def seed(settings: Settings, products: int = 3, stock: int = 1000) -> None:
    """Migrate the settings' database and add one customer and ``products`` products."""
    settings.paths.ensure()
    db = Database(settings)
    try:
        migrate_to_head(db.engine)

        def work(session: Session) -> None:
            session.add(
                Customer(name="Padaria Central", document="52998224725", document_type="cpf")
            )
            for n in range(products):
                session.add(
                    Product(sku=f"SKU-{n}", name=f"Item {n}", price=Decimal("9.90"), stock=stock)
                )

        db.write(work)
    finally:
        db.dispose()


Mount = Callable[..., Path]


@pytest.fixture
def mount_tmpfs(tmp_path: Path) -> Iterator[Mount]:
    """``mount_tmpfs("ro,size=1m")`` mounts a fresh tmpfs in the temp dir; unmounted after.

    Tests run as root, for whom chmod blocks nothing: a read-only or small tmpfs is a
    real read-only or full file system. Skipped where mounting is not allowed."""
    mounted: list[Path] = []

    def mount(options: str) -> Path:
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        proc = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root/CAP_SYS_ADMIN): {proc.stderr}")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False)


@pytest.fixture
def sqlite_settings(make_settings: Callable[..., Settings]) -> Settings:
    settings = make_settings()
    seed(settings)
    return settings


@pytest.fixture
def pg_settings(make_settings: Callable[..., Settings]) -> Iterator[Settings]:
    """Seeded settings on a scratch database of the real PostgreSQL server."""
    with postgresql_database() as url:
        settings = make_settings(database_url=url)
        seed(settings)
        yield settings


@pytest.fixture
def maria_settings(make_settings: Callable[..., Settings]) -> Iterator[Settings]:
    """Seeded settings on a scratch database of the real MariaDB server."""
    with mariadb_database() as url:
        settings = make_settings(database_url=url)
        seed(settings)
        yield settings


def recording_shim(folder: Path, tool: str) -> Path:
    """A ``tool`` on PATH that appends its argv and environment to ``<log>.argv`` /
    ``<log>.env`` (every run), then runs the real one."""
    real = shutil.which(tool)
    assert real, f"{tool} is not installed"
    folder.mkdir(parents=True, exist_ok=True)
    shim = folder / tool
    log = folder / f"{tool}.log"
    shim.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{log}.argv"\nenv >> "{log}.env"\nexec "{real}" "$@"\n'
    )
    shim.chmod(0o755)
    return log


def damage_table(database: Path, table: str) -> None:
    """Scribble over the first page of ``table``'s b-tree (the file's size stays)."""
    with closing(sqlite3.connect(database)) as conn:
        root = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()[0]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    with database.open("r+b") as fh:
        fh.seek(page_size * (root - 1))
        fh.write(b"\x0d\xff\xff\x00\x00\xff\xff" + b"\xee" * 64)


def add_ballast(database: Path, megabytes: int) -> None:
    """Make the database bigger (a table of random blobs) so a backup takes a moment."""
    with closing(sqlite3.connect(database)) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS ballast (id INTEGER PRIMARY KEY, b BLOB)")
        conn.execute(
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT ?) "
            "INSERT INTO ballast (b) SELECT randomblob(4000) FROM n",
            (megabytes * 256,),
        )
        conn.commit()
