"""Databases left by a killed verification or restore are dropped once a day old, on the
real PostgreSQL and MariaDB servers; younger ones and other databases are left alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from embedded_backend.backup import restore_servers, scratch
from tests.helpers.databases import MARIA_URL, PG_URL

SERVERS = [
    pytest.param(PG_URL.format(name="postgres"), marks=pytest.mark.postgresql, id="postgresql"),
    pytest.param(MARIA_URL.format(name="mysql"), marks=pytest.mark.mariadb, id="mariadb"),
]


def _databases(admin_url: str) -> set[str]:
    engine = scratch.engine_for(make_url(admin_url))
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            rows = conn.execute(text("SELECT datname FROM pg_database"))
        else:
            rows = conn.execute(text("SHOW DATABASES"))
        names = {str(row[0]) for row in rows}
    engine.dispose()
    return names


@pytest.mark.parametrize("admin_url", SERVERS)
def test_old_leftovers_are_dropped_and_young_ones_kept(admin_url: str) -> None:
    admin = scratch.engine_for(make_url(admin_url))
    now = datetime.now(UTC)
    old_scratch = scratch.scratch_name(now - timedelta(days=2))
    young_scratch = scratch.scratch_name(now)
    old_restore = restore_servers.new_name("vigia_restoring_", now - timedelta(days=2))
    young_restore = restore_servers.new_name("vigia_replaced_", now)
    made = [old_scratch, young_scratch, old_restore, young_restore]
    try:
        for name in made:
            scratch._create(admin, name)
        dropped = scratch.drop_leaked(admin, now)
        assert old_scratch in dropped and young_scratch not in dropped
        dropped = restore_servers.drop_leaked(admin, now)
        assert old_restore in dropped and young_restore not in dropped
        left = _databases(admin_url)
        assert old_scratch not in left and old_restore not in left
        assert young_scratch in left and young_restore in left
    finally:
        for name in made:
            scratch._drop(admin, name)
        admin.dispose()
