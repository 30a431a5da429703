"""``vigia backup create`` killed with SIGKILL while it copies: nothing half-written is
ever listed as a backup, and the next backup works and removes the leftovers."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest

from embedded_backend.backup import list_backups
from embedded_backend.config import load_settings
from tests.e2e.process import REPO, base_env, run_vigia, vigia_command
from tests.embedded_backend.backup.conftest import add_ballast, seed

pytestmark = pytest.mark.e2e


def _partial(folder: Path) -> Path | None:
    if not folder.is_dir():
        return None
    for path in folder.iterdir():
        if path.name.endswith(".partial") and path.stat().st_size > 4 * 1024 * 1024:
            return path
    return None


def test_killed_mid_backup_leaves_no_backup_and_the_next_one_works(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = load_settings(home=home, log_console=False)
    seed(settings)
    add_ballast(settings.paths.database, 250)  # a copy that takes a moment
    folder = settings.paths.backups

    proc = subprocess.Popen(
        vigia_command("backup", "create"),
        cwd=REPO,
        env=base_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while (partial := _partial(folder)) is None:
            assert proc.poll() is None, "the backup finished before it could be killed"
            assert time.monotonic() < deadline, "the copy never started"
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if proc.stderr is not None:
            proc.stderr.close()

    listing = list_backups(folder)
    assert listing.backups == ()  # the half copy is not a backup
    assert partial.exists()
    assert any(p.name == partial.name and "temporary file" in p.reason for p in listing.ignored)
    with closing(sqlite3.connect(settings.paths.database)) as conn:  # the source is fine
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"

    result = run_vigia(["backup", "create", "--json"], home, timeout=110)
    assert result.returncode == 0, result.stderr
    backup = json.loads(result.stdout)
    assert not partial.exists()  # leftovers removed under the lock
    assert not [p for p in folder.iterdir() if ".partial" in p.name]
    assert [b.id for b in list_backups(folder).backups] == [backup["id"]]
    verify = run_vigia(["backup", "verify", backup["id"]], home, timeout=110)
    assert verify.returncode == 0, verify.stdout + verify.stderr
