"""What ``list_backups`` makes of a folder holding damaged, unfinished and foreign files:
it never raises, and only complete backups count."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedded_backend.backup import Backup, create_backup, list_backups, newest_backup
from embedded_backend.config import Settings


@pytest.fixture
def two(sqlite_settings: Settings) -> tuple[Backup, Backup]:
    return create_backup(sqlite_settings), create_backup(sqlite_settings)


def _reasons(folder: Path) -> dict[str, str]:
    listing = list_backups(folder)
    return {p.name: p.reason for p in (*listing.bad, *listing.ignored)}


def test_missing_folder_is_an_empty_listing(tmp_path: Path) -> None:
    listing = list_backups(tmp_path / "nope")
    assert listing.backups == () and listing.bad == () and listing.newest() is None


def test_newest_first(two: tuple[Backup, Backup], sqlite_settings: Settings) -> None:
    older, newer = two
    listing = list_backups(sqlite_settings.paths.backups)
    assert [b.id for b in listing.backups] == [newer.id, older.id]
    assert newest_backup(sqlite_settings.paths.backups) == listing.backups[0]
    assert listing.bad == () and listing.ignored == ()


def test_foreign_files_are_ignored_with_a_reason(
    two: tuple[Backup, Backup], sqlite_settings: Settings
) -> None:
    folder = sqlite_settings.paths.backups
    (folder / "notes.txt").write_text("call the accountant")
    (folder / "photos").mkdir()
    (folder / "vigia.db").write_bytes(b"SQLite format 3\x00")  # a stray copy, not ours
    listing = list_backups(folder)
    assert len(listing.backups) == 2
    assert {p.name: p.kind for p in listing.ignored} == {
        "notes.txt": "ignored",
        "photos": "ignored",
        "vigia.db": "ignored",
    }
    assert all(p.reason == "not a Vigia backup" for p in listing.ignored)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b'{"id": "20260101-000000-abcd", "source": "sqli', "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[1, 2, 3]", "not a backup manifest"),
        (b"{}", "incomplete (missing or wrong:"),
        (b'{"format": 7}', "newer Vigia"),
    ],
)
def test_damaged_manifests_are_bad_never_a_crash(
    two: tuple[Backup, Backup], sqlite_settings: Settings, content: bytes, reason: str
) -> None:
    folder = sqlite_settings.paths.backups
    damaged, intact = two
    damaged.manifest_path.write_bytes(content)
    listing = list_backups(folder)
    assert [b.id for b in listing.backups] == [intact.id]
    [bad] = listing.bad
    assert bad.name == damaged.manifest_path.name and bad.id == damaged.id
    assert reason in bad.reason and bad.reason.startswith("damaged manifest")
    # its data file is that backup's: not reported a second time as an orphan
    assert damaged.path.name not in _reasons(folder)


def test_truncated_and_grown_data_files_are_bad(
    two: tuple[Backup, Backup], sqlite_settings: Settings
) -> None:
    folder = sqlite_settings.paths.backups
    truncated, grown = two
    with truncated.path.open("r+b") as fh:
        fh.truncate(truncated.size // 2)
    with grown.path.open("ab") as fh:
        fh.write(b"x")
    listing = list_backups(folder)
    assert listing.backups == () and listing.newest() is None
    reasons = _reasons(folder)
    assert "is truncated" in reasons[truncated.manifest_path.name]
    assert "changed" in reasons[grown.manifest_path.name]


def test_missing_data_file_and_orphan_data_file(
    two: tuple[Backup, Backup], sqlite_settings: Settings
) -> None:
    folder = sqlite_settings.paths.backups
    no_data, no_manifest = two
    no_data.path.unlink()
    no_manifest.manifest_path.unlink()
    listing = list_backups(folder)
    assert listing.backups == ()
    reasons = _reasons(folder)
    assert "is missing" in reasons[no_data.manifest_path.name]
    assert reasons[no_manifest.path.name].startswith("no manifest")
    assert {p.id for p in listing.bad} == {no_data.id, no_manifest.id}


def test_partial_files_are_ignored(two: tuple[Backup, Backup], sqlite_settings: Settings) -> None:
    folder = sqlite_settings.paths.backups
    (folder / ".vigia-20260101-000000-abcd.sqlite3.partial").write_bytes(b"half")
    listing = list_backups(folder)
    assert len(listing.backups) == 2
    [partial] = listing.ignored
    assert "temporary file" in partial.reason


def test_manifest_renamed_or_pointing_elsewhere_is_bad(
    two: tuple[Backup, Backup], sqlite_settings: Settings
) -> None:
    folder = sqlite_settings.paths.backups
    first, second = two
    data = json.loads(first.manifest_path.read_text())
    data["file"] = second.path.name
    first.manifest_path.write_text(json.dumps(data))
    copy = folder / "vigia-20200101-000000-0000.json"
    copy.write_text(second.manifest_path.read_text())
    reasons = _reasons(folder)
    assert "another backup" in reasons[first.manifest_path.name]
    assert "under another name" in reasons[copy.name]
    assert [b.id for b in list_backups(folder).backups] == [second.id]


def test_json_shape(two: tuple[Backup, Backup], sqlite_settings: Settings) -> None:
    folder = sqlite_settings.paths.backups
    _, newer = two
    (folder / "vigia-old.json").write_text("{}")
    listing = list_backups(folder)
    good = listing.backups[0].as_dict()
    assert {"id", "created_at", "size", "verified", "trigger"} <= good.keys()
    assert good["id"] == newer.id and good["verified"] is True and good["status"] == "ok"
    bad = listing.bad[0].as_dict()
    assert bad["verified"] is False and bad["status"] == "bad" and bad["id"] == "old"
    assert json.dumps([good, bad])  # serialisable as is
