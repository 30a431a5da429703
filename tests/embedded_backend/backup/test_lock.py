"""One backup operation at a time: the second waits or is refused; a killed holder
does not leave a stale lock."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from embedded_backend.backup import Backup, BackupBusy, BackupLock, create_backup, list_backups
from embedded_backend.backup.lock import OWNER_NAME
from embedded_backend.config import Settings
from tests.embedded_backend.backup.conftest import add_ballast

REPO = Path(__file__).resolve().parents[3]


def _wait_for(path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.005)


def test_two_backups_at_once_one_runs_the_other_is_refused_or_waits(
    sqlite_settings: Settings,
) -> None:
    add_ballast(sqlite_settings.paths.database, 120)
    folder = sqlite_settings.paths.backups
    first: list[Backup] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            first.append(create_backup(sqlite_settings))
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        _wait_for(folder / OWNER_NAME)
        with pytest.raises(BackupBusy) as refused:
            create_backup(sqlite_settings, wait_s=0)
        message = str(refused.value)
        assert f"process {os.getpid()} (create a backup" in message
        assert "Try again when it has finished" in message
        second = create_backup(sqlite_settings, wait_s=60)  # waits for the first
    finally:
        thread.join(60)
    assert not errors and len(first) == 1
    assert second.created_at > first[0].created_at
    assert {b.id for b in list_backups(folder).backups} == {first[0].id, second.id}


def test_refusal_after_waiting_says_how_long(tmp_path: Path) -> None:
    with BackupLock(tmp_path, "prune backups"):
        started = time.monotonic()
        with pytest.raises(BackupBusy, match=r"cannot create a backup after waiting 0.3 s"):
            BackupLock(tmp_path, "create a backup", wait_s=0.3).acquire()
        assert time.monotonic() - started >= 0.3
    with BackupLock(tmp_path, "create a backup"):  # free again
        pass


HOLDER = """
import sys, time
from pathlib import Path
from embedded_backend.backup import BackupLock
lock = BackupLock(Path(sys.argv[1]), "restore")
lock.acquire()
print("held", flush=True)
time.sleep(120)
"""


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(BackupBusy, match=f"process {proc.pid} \\(restore"):
            BackupLock(tmp_path, "create a backup").acquire()
        proc.kill()
        proc.wait(10)
        with BackupLock(tmp_path, "create a backup", wait_s=5):
            pass
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
