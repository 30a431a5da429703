"""``vigia check [--json]``: every preflight item, exit codes, and a 'what to do' per failure."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from embedded_backend.cli.main import main
from tests.helpers.live import LiveServer
from tests.helpers.router_modules import RouterModules, router_modules

ITEMS = {"python", "packages", "data_dirs", "database", "migrations", "secrets", "routers", "port"}


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RouterModules:
    return router_modules(tmp_path, monkeypatch)


@pytest.fixture
def free_port(monkeypatch: pytest.MonkeyPatch) -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    monkeypatch.setenv("VIGIA_PORT", str(port))
    return port


@pytest.fixture
def held_port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = int(s.getsockname()[1])
        monkeypatch.setenv("VIGIA_PORT", str(port))
        yield port


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["check", *args])
    return code, capsys.readouterr().out


def check_json(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code, out = check(capsys, "--json")
    doc = json.loads(out)
    return code, doc


def by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in doc["checks"]}


def line(out: str, name: str) -> str:
    found = [ln for ln in out.splitlines() if ln.split("] ", 1)[-1].startswith(f"{name}:")]
    assert len(found) == 1, out
    return found[0]


def test_fresh_home_passes(capsys: pytest.CaptureFixture[str], free_port: int, home: Path) -> None:
    code, out = check(capsys)
    assert code == 0, out
    assert out.strip().endswith("all checks passed")
    for name in ITEMS:
        assert line(out, name).startswith("[ok  ]"), out
    assert f"127.0.0.1:{free_port} is free" in out
    # The check created the data folders it tested, and nothing else.
    assert sorted(p.name for p in home.iterdir()) == ["backups", "logs"]


def test_json_has_every_preflight_item(
    capsys: pytest.CaptureFixture[str], free_port: int, home: Path
) -> None:
    code, doc = check_json(capsys)
    assert code == 0
    assert doc["ok"] is True and doc["home"] == str(home.resolve())
    assert [item["name"] for item in doc["checks"]] == [
        "python",
        "packages",
        "data_dirs",
        "database",
        "migrations",
        "secrets",
        "routers",
        "port",
    ]
    for item in doc["checks"]:
        assert item.keys() == {"name", "status", "message", "fix", "ms"}
        assert item["status"] == "pass" and item["message"] and item["ms"] >= 0


def test_after_a_first_start_the_database_is_really_queried(
    capsys: pytest.CaptureFixture[str], sqlite_server: LiveServer
) -> None:
    _, doc = check_json(capsys)
    items = by_name(doc)
    assert items["database"]["status"] == "pass"
    assert items["database"]["message"].startswith("SELECT 1 on sqlite:///")
    assert items["migrations"]["status"] == "pass" and "at head" in items["migrations"]["message"]
    assert items["secrets"]["status"] == "pass"


def test_unreachable_database_fails_with_what_to_do(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, free_port: int
) -> None:
    monkeypatch.setenv("VIGIA_DATABASE_URL", "postgresql://postgres:hunter2-pw@127.0.0.1:1/vigia")
    code, out = check(capsys)
    assert code == 1
    db = line(out, "database")
    assert db.startswith("[FAIL] database: cannot reach postgresql+psycopg://postgres:***@")
    assert "-> start the database server or correct VIGIA_DATABASE_URL" in db
    assert "hunter2-pw" not in out
    assert line(out, "migrations").startswith("[WARN]")
    assert out.strip().endswith("1 check(s) failed")


@pytest.mark.postgresql
def test_missing_postgresql_database_fails(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, free_port: int
) -> None:
    monkeypatch.setenv(
        "VIGIA_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/vigia_never_created_db"
    )
    code, doc = check_json(capsys)
    assert code == 1 and doc["ok"] is False
    db = by_name(doc)["database"]
    assert db["status"] == "fail" and "does not exist" in db["message"] and db["fix"]


def test_malformed_database_url_says_which_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, free_port: int
) -> None:
    monkeypatch.setenv("VIGIA_DATABASE_URL", "this is not a url")
    code, out = check(capsys)
    assert code == 1
    db = line(out, "database")
    assert "VIGIA_DATABASE_URL is not a database URL" in db
    assert "-> fix VIGIA_DATABASE_URL" in db
    assert "the check itself failed" not in out


@pytest.mark.parametrize("kind", ["syntax", "missing", "raises", "not_a_router"])
def test_broken_extra_router_fails(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    modules: RouterModules,
    free_port: int,
    kind: str,
) -> None:
    monkeypatch.setenv("VIGIA_ROUTERS", f"whatsapp={modules.broken(kind)},cliente={modules.good()}")
    code, out = check(capsys)
    assert code == 1
    routers = line(out, "routers")
    assert routers.startswith("[FAIL] routers: 1 of 10 routers cannot be imported: whatsapp (")
    assert "cliente" not in routers
    assert "-> fix or remove those modules (they answer 503 until then)" in routers


def test_broken_critical_router_says_so(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    modules: RouterModules,
    free_port: int,
) -> None:
    monkeypatch.setenv("VIGIA_ROUTERS", f"auth={modules.broken('missing')}")
    code, doc = check_json(capsys)
    assert code == 1
    routers = by_name(doc)["routers"]
    assert routers["status"] == "fail"
    assert "auth (ModuleNotFoundError" in routers["message"]
    assert "critical" in routers["fix"]


def test_malformed_routers_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, free_port: int
) -> None:
    monkeypatch.setenv("VIGIA_ROUTERS", "whatsapp")
    code, out = check(capsys)
    assert code == 1
    assert "-> correct VIGIA_ROUTERS" in line(out, "routers")


def test_port_taken_names_the_holder(capsys: pytest.CaptureFixture[str], held_port: int) -> None:
    code, out = check(capsys)
    assert code == 1
    port = line(out, "port")
    assert port.startswith(f"[FAIL] port: port {held_port} on 127.0.0.1 is already in use by ")
    assert f"(pid {os.getpid()})" in port and psutil.Process().name() in port
    assert "-> stop the program holding the port or set VIGIA_PORT" in port


@pytest.mark.parametrize("text", ["port = 80 80\n", "[vigia\nport=1\n", "port = 'x'\n"])
def test_corrupt_toml(capsys: pytest.CaptureFixture[str], home: Path, text: str) -> None:
    home.mkdir(parents=True)
    (home / "vigia.toml").write_text(text, encoding="utf-8")
    code = main(["check"])
    captured = capsys.readouterr()
    assert code == 1
    out = captured.out + captured.err
    assert "Traceback" not in out
    assert "vigia.toml" in out or "invalid settings" in out
    assert "fix" in out.lower()


def test_corrupt_toml_json_still_parses(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    home.mkdir(parents=True)
    (home / "vigia.toml").write_text("port = = 3\n", encoding="utf-8")
    code, doc = check_json(capsys)
    assert code == 1 and doc["ok"] is False
    [item] = doc["checks"]
    assert item["name"] == "settings" and item["status"] == "fail"
    assert "is not valid TOML" in item["message"] and "vigia.toml" in item["fix"]


def test_secret_in_toml_is_refused(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    home.mkdir(parents=True)
    (home / "vigia.toml").write_text('admin_token = "abc"\n', encoding="utf-8")
    code, out = check(capsys)
    assert code == 1
    assert "secrets must not be stored in a file" in out


def test_unusable_home_fails(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    free_port: int,
) -> None:
    # A home below a plain file cannot be created, whoever runs the test (root included).
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("VIGIA_HOME", str(blocker / "home"))
    code, out = check(capsys)
    assert code == 1
    assert line(out, "data_dirs").startswith("[FAIL] data_dirs: cannot write to ")
    assert "-> give your user write access to that folder, or set VIGIA_HOME" in out
