"""``vigia backup create | list | verify | prune`` in this process, on a real SQLite file:
output, exit codes, audit rows and log lines."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from embedded_backend.backup import BackupLock
from embedded_backend.cli.main import main
from embedded_backend.config import Settings
from embedded_backend.logs import shutdown_logging
from tests.embedded_backend.backup.conftest import seed

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def vigia(capsys: pytest.CaptureFixture[str]) -> Run:
    def run(*args: str) -> tuple[int, str, str]:
        code = main(["backup", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    s = make_settings()
    seed(s)
    return s


def _audit(settings: Settings) -> list[tuple[str, str, str | None, dict[str, Any]]]:
    with closing(sqlite3.connect(settings.paths.database)) as conn:
        rows = conn.execute(
            "SELECT actor, action, target, detail FROM audit_log WHERE action LIKE 'backup.%' "
            "ORDER BY id"
        ).fetchall()
    return [(a, b, c, json.loads(d)) for a, b, c, d in rows]


def _log_messages(settings: Settings) -> list[str]:
    shutdown_logging()  # flush the log writer
    lines = settings.paths.backend_log.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["msg"] for line in lines]


def test_create_list_verify_prune(vigia: Run, settings: Settings) -> None:
    code, out, err = vigia("create")
    assert code == 0 and err == ""
    assert out.startswith("backup ") and "created:" in out and "integrity ok" in out
    code, out, _ = vigia("create", "--json", "--trigger", "schedule")
    assert code == 0
    second = json.loads(out)
    assert second["trigger"] == "schedule" and second["verified"] is True

    code, out, _ = vigia("list", "--json")
    assert code == 0
    items = json.loads(out)
    assert items[0]["id"] == second["id"] and len(items) == 2
    for item in items:
        assert {"id", "created_at", "size", "verified", "trigger"} <= item.keys()
        assert item["verified"] is True and item["size"] > 0

    code, out, _ = vigia("list")
    assert code == 0
    assert "ID" in out and "VERIFIED" in out and second["id"] in out
    assert "2 backup(s); the newest is from" in out

    code, out, _ = vigia("verify", second["id"])
    assert code == 0 and out.rstrip().endswith(f"backup {second['id']} is intact")
    assert "[ok  ] sha256: matches the manifest" in out

    code, out, _ = vigia("prune", "--keep-daily", "0", "--keep-weekly", "0")
    assert code == 0 and "1 backup(s) deleted, 1 kept" in out

    audit = _audit(settings)
    assert [(actor, action) for actor, action, _, _ in audit] == [
        ("cli", "backup.create"),
        ("cli", "backup.create"),
        ("cli", "backup.verify"),
        ("cli", "backup.prune"),
    ]
    assert audit[1][2] == second["id"] and audit[1][3]["trigger"] == "schedule"
    assert audit[2][3] == {"ok": True, "deep": False, "problem": None}
    assert audit[3][3]["kept"] == 1 and len(audit[3][3]["deleted"]) == 1

    messages = _log_messages(settings)
    assert any(m.startswith(f"backup {second['id']} created") for m in messages)
    assert any(m.startswith("pruned backups: 1 deleted") for m in messages)


def test_list_survives_a_messy_folder(vigia: Run, settings: Settings) -> None:
    assert vigia("create")[0] == 0
    folder = settings.paths.backups
    (folder / "vigia-20250101-000000-abcd.json").write_text('{"id": "20250101-0')
    (folder / "vigia-20250102-000000-abcd.sqlite3").write_bytes(b"half a backup")
    (folder / "leia-me.txt").write_text("planilha")
    code, out, _ = vigia("list")
    assert code == 0
    assert "Not usable (do not restore these):" in out
    assert "vigia-20250101-000000-abcd.json: damaged manifest: not valid JSON" in out
    assert "vigia-20250102-000000-abcd.sqlite3: no manifest" in out
    assert "Ignored:\n  leia-me.txt: not a Vigia backup" in out

    code, out, err = vigia("list", "--json")
    items = json.loads(out)
    assert code == 0 and len(items) == 3
    assert [i["status"] for i in items] == ["ok", "bad", "bad"]
    assert all(i["verified"] is False for i in items[1:])
    assert "ignored leia-me.txt: not a Vigia backup" in err


def test_verify_a_corrupt_backup_exits_1(vigia: Run, settings: Settings) -> None:
    code, out, _ = vigia("create", "--json")
    backup = json.loads(out)
    path = Path(backup["file"])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    code, out, _ = vigia("verify", backup["id"])
    assert code == 1
    assert "[FAIL] sha256" in out
    assert f"backup {backup['id']} is corrupt" in out
    assert _audit(settings)[-1][3]["ok"] is False


def test_verify_unknown_id(vigia: Run, settings: Settings) -> None:
    code, _, err = vigia("verify", "20200101-000000-0000")
    assert code == 1 and "there is no backup 20200101-000000-0000" in err


def test_busy_refusal(vigia: Run, settings: Settings) -> None:
    settings.paths.backups.mkdir(parents=True, exist_ok=True)
    with BackupLock(settings.paths.backups, "restore"):
        code, out, err = vigia("create", "--wait", "0.2")
    assert code == 1 and out == ""
    assert "another backup operation is running" in err and "after waiting 0.2 s" in err
    assert _audit(settings)[-1][3]["ok"] is False  # the refusal is audited too


def test_no_database_yet(vigia: Run, make_settings: Callable[..., Settings]) -> None:
    s = make_settings()
    code, _, err = vigia("create")
    assert code == 1 and "there is no database at" in err
    assert not s.paths.database.exists()


def test_prune_dry_run_deletes_nothing(vigia: Run, settings: Settings) -> None:
    for _ in range(3):
        assert vigia("create")[0] == 0
    code, out, _ = vigia("prune", "--dry-run", "--keep-daily", "0", "--keep-weekly", "0")
    assert code == 0 and "2 backup(s) would be deleted, 1 kept" in out
    code, out, _ = vigia("list", "--json")
    assert len(json.loads(out)) == 3
    assert [a for _, a, _, _ in _audit(settings)].count("backup.prune") == 0
