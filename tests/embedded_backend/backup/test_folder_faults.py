"""The backup folder missing, unusable, read-only or full: a clear error, nothing half
written left behind, older backups untouched.

Tests run as root, for whom ``chmod`` blocks nothing; "read-only" and "full" are real
file systems: a tmpfs mounted read-only, and a small tmpfs (``mount -t tmpfs -o size=``)
inside the test's temp dir. Without the right to mount (an unprivileged container), those
tests are skipped and say so.
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from embedded_backend.backup import (
    BackupFolderError,
    DiskFullError,
    create_backup,
    list_backups,
    verify_backup,
)
from embedded_backend.config import Settings
from tests.embedded_backend.backup.conftest import Mount, add_ballast, seed


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name or "-wal" in p.name)


def test_missing_folder_is_created(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    settings = make_settings(backup_dir=tmp_path / "new" / "deeper" / "backups")
    seed(settings)
    backup = create_backup(settings)
    assert backup.path.parent == tmp_path / "new" / "deeper" / "backups"


def test_folder_under_a_regular_file(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """A path that really fails for root: its parent is a file."""
    blocker = tmp_path / "backups.txt"
    blocker.write_text("not a folder")
    settings = make_settings(backup_dir=blocker / "backups")
    seed(settings)
    with pytest.raises(BackupFolderError, match="part of that path is a file, not a folder"):
        create_backup(settings)
    assert blocker.read_text() == "not a folder"


def test_folder_is_a_file(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    blocker = tmp_path / "backups"
    blocker.write_text("x")
    settings = make_settings(backup_dir=blocker)
    seed(settings)
    with pytest.raises(BackupFolderError, match="a file with that name is in the way"):
        create_backup(settings)


def test_read_only_folder(make_settings: Callable[..., Settings], mount_tmpfs: Mount) -> None:
    read_only = mount_tmpfs("ro,size=1m")
    settings = make_settings(backup_dir=read_only)
    seed(settings)
    with pytest.raises(BackupFolderError, match="read-only or not yours") as err:
        create_backup(settings)
    assert "set backup_dir to a folder you can write to" in str(err.value)
    assert list(read_only.iterdir()) == []
    inside = make_settings(backup_dir=read_only / "sub")
    with pytest.raises(BackupFolderError, match="read-only"):
        create_backup(inside)


def _full_disk_setup(
    make_settings: Callable[..., Settings], mount_tmpfs: Mount
) -> tuple[Settings, Path, str]:
    small = mount_tmpfs("size=1m")
    settings = make_settings(backup_dir=small)
    seed(settings)
    older = create_backup(settings)  # fits
    add_ballast(settings.paths.database, 2)  # the next one will not
    return settings, small, older.id


def test_disk_full_is_refused_up_front(
    make_settings: Callable[..., Settings], mount_tmpfs: Mount
) -> None:
    settings, small, older = _full_disk_setup(make_settings, mount_tmpfs)
    with pytest.raises(DiskFullError, match=r"not enough free space .* it needs about 2\.\d MB"):
        create_backup(settings)
    assert _leftovers(small) == []
    assert [b.id for b in list_backups(small).backups] == [older]
    assert verify_backup(settings, older).ok


def test_disk_full_in_the_middle_of_the_copy(
    make_settings: Callable[..., Settings], mount_tmpfs: Mount
) -> None:
    """Room for the pages as counted up front, not for SQLite's side files: the copy
    itself runs out of space (a real ENOSPC half-way), not the check before it."""
    settings, small, older = _full_disk_setup(make_settings, mount_tmpfs)
    database = settings.paths.database
    with closing(sqlite3.connect(database)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        needed = conn.execute("PRAGMA page_count").fetchone()[0] * 4096
    used = sum(p.stat().st_size for p in small.iterdir())
    owner_page = 4096  # the lock's owner file, written before the space check
    size = used + needed + owner_page + 4096
    remount = subprocess.run(
        ["mount", "-o", f"remount,size={size}", str(small)], capture_output=True, check=False
    )
    if remount.returncode != 0:
        pytest.skip("cannot resize the tmpfs here")
    with pytest.raises(DiskFullError, match="to write the backup") as err:
        create_backup(settings)
    assert "nothing was kept of the unfinished backup" in str(err.value)
    assert _leftovers(small) == []
    assert [b.id for b in list_backups(small).backups] == [older]
    assert verify_backup(settings, older).ok
