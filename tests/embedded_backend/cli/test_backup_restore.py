"""``vigia backup restore ID [--yes]`` in this process: the backend stopped (restores
itself), running (asks the backend through the admin API), and the confirmation."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable

import pytest

from embedded_backend.backup import create_backup, list_backups
from embedded_backend.cli.main import main
from embedded_backend.config import Settings
from tests.embedded_backend.backup.conftest import seed
from tests.embedded_backend.backup.restoring import add_product, newer_backup, skus
from tests.helpers.live import ADMIN_TOKEN, live_server

Run = Callable[..., tuple[int, str, str]]
SEEDED = ["SKU-0", "SKU-1", "SKU-2"]


class Terminal(io.StringIO):
    """Standard input that is a terminal, with the user's answer typed in."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def vigia(capsys: pytest.CaptureFixture[str]) -> Run:
    def run(*args: str) -> tuple[int, str, str]:
        code = main(["backup", "restore", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    s = make_settings()
    seed(s)
    return s


def test_restore_with_the_backend_stopped(vigia: Run, settings: Settings) -> None:
    backup = create_backup(settings)
    add_product(settings, "AFTER-BACKUP")

    code, out, err = vigia(backup.id, "--yes")

    assert code == 0, err
    assert err == ""
    assert skus(settings) == SEEDED
    lines = out.splitlines()
    assert lines[0] == f"[  2%] verifying backup {backup.id}"
    assert any("making the pre-restore backup" in line for line in lines)
    assert f"backup {backup.id} restored in" in out
    pre = next(b for b in list_backups(settings.paths.backups).backups if b.id != backup.id)
    assert pre.trigger == "pre-restore"
    assert f"the data from before is in backup {pre.id} ({pre.path})" in out


def test_no_terminal_and_no_yes_is_refused(
    vigia: Run, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = create_backup(settings)
    add_product(settings, "AFTER-BACKUP")
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))  # piped, not a terminal
    code, out, err = vigia(backup.id)
    assert code == 1 and out == ""
    assert "there is no terminal to ask for confirmation on; pass --yes" in err
    assert "AFTER-BACKUP" in skus(settings)


def test_the_question_shows_what_is_replaced(
    vigia: Run, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = create_backup(settings)
    add_product(settings, "AFTER-BACKUP")

    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    code, out, _ = vigia(backup.id)
    assert code == 1
    assert out.startswith(f"Restore backup {backup.id}?\n  made:     ")
    assert f"  replaces: {settings.paths.database}\n" in out
    assert "schema 0002" in out and "manual" in out
    assert "saved first as a pre-restore backup" in out
    assert out.rstrip().endswith("not restored; the database is unchanged")
    assert "AFTER-BACKUP" in skus(settings)

    monkeypatch.setattr("sys.stdin", Terminal("yes\n"))
    code, out, _ = vigia(backup.id)
    assert code == 0 and f"backup {backup.id} restored" in out
    assert skus(settings) == SEEDED


def test_refusals_exit_1_with_the_reason(
    vigia: Run, settings: Settings, make_settings: Callable[..., Settings], tmp_path: object
) -> None:
    code, _, err = vigia("20200101-000000-abcd", "--yes")
    assert code == 1 and "there is no backup 20200101-000000-abcd" in err
    other = make_settings(database_url=f"sqlite:///{tmp_path}/newer.db")
    newer = newer_backup(settings, other)
    code, _, err = vigia(newer.id, "--yes")
    assert code == 1 and "newer database schema (revision 9999" in err
    assert skus(settings) == SEEDED


def test_a_running_backend_does_the_restore(
    vigia: Run, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = create_backup(settings)
    with live_server(settings) as live:
        with live.client() as c:
            r = c.post(
                "/api/v1/products", json={"sku": "AFTER", "name": "a", "price": 1, "stock": 1}
            )
            assert r.status_code == 201
        run_file = json.loads(settings.paths.run_file.read_text())
        assert run_file["pid"] == os.getpid()  # this process serves: alive and answering
        monkeypatch.setenv("VIGIA_ADMIN_TOKEN", ADMIN_TOKEN)

        code, out, err = vigia(backup.id, "--yes")

        assert code == 0, err
        assert out.startswith(f"restoring through the backend running at {live.url}")
        assert f"verifying backup {backup.id}" in out and "[100%] done" in out
        with live.client() as c:
            items = c.get("/api/v1/products", params={"limit": 200}).json()["items"]
            assert sorted(i["sku"] for i in items) == SEEDED
            audit = c.get("/api/v1/admin/audit", params={"action": "backup.restore"}).json()
            assert audit["items"][0]["actor"] == "admin-token"


def test_a_running_backend_without_the_token_is_not_worked_around(
    vigia: Run, settings: Settings
) -> None:
    backup = create_backup(settings)
    add_product(settings, "AFTER-BACKUP")
    with live_server(settings):
        # The server got its token in its settings; the CLI reads VIGIA_* and the
        # keyring, and neither has it here.
        code, _, err = vigia(backup.id, "--yes")
    assert code == 1
    assert "restoring under it needs the admin token" in err
    assert "AFTER-BACKUP" in skus(settings)


def test_a_registered_backend_that_does_not_answer(vigia: Run, settings: Settings) -> None:
    backup = create_backup(settings)
    settings.paths.run_file.write_text(
        json.dumps({"pid": os.getpid(), "url": "http://127.0.0.1:9"}), encoding="utf-8"
    )
    code, _, err = vigia(backup.id, "--yes")
    assert code == 1
    assert "is registered in" in err and "does not answer at http://127.0.0.1:9" in err
    settings.paths.run_file.write_text(
        json.dumps({"pid": 2**22 + 12345, "url": "http://127.0.0.1:9"}), encoding="utf-8"
    )
    code, _, err = vigia(backup.id, "--yes")  # a stale file: that process is gone
    assert code == 0, err
