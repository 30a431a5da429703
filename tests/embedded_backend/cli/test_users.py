"""``vigia users create | list | reset-password``; the passwords then work through the API."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from embedded_backend.cli.main import main
from embedded_backend.config import Settings
from tests.helpers.live import live_server


@pytest.fixture
def users(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """Run ``vigia users ...`` in this process, with ``stdin`` as its standard input."""

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(["users", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def login(url: str, username: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{url}/api/v1/auth/token", timeout=30, data={"username": username, "password": password}
    )


def test_create_list_reset_then_login(
    users: Callable[..., tuple[int, str, str]],
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
) -> None:
    monkeypatch.setenv("VIGIA_DATABASE_URL", database_url)
    code, out, _ = users("create", "maria", "--password-stdin", stdin="Primeira-Senha-1\n")
    assert (code, out) == (0, "created user 'maria' (staff)\n")
    code, out, _ = users(
        "create", "joao.admin", "--role", "admin", "--password-stdin", stdin="Senha-do-Joao-2\r\n"
    )
    assert code == 0 and "(admin)" in out and "password:" not in out

    code, out, _ = users("list")
    assert code == 0
    rows = [line.split() for line in out.splitlines()]
    assert [r[1:] for r in rows] == [
        ["maria", "staff", "active"],
        ["joao.admin", "admin", "active"],
    ]

    with live_server(make_settings(database_url=database_url)) as live:
        r = login(live.url, "maria", "Primeira-Senha-1")
        assert r.status_code == 200, r.text
        jwt = r.json()["access_token"]
        headers = {"Authorization": f"Bearer {jwt}"}
        assert httpx.get(f"{live.url}/api/v1/products", headers=headers).status_code == 200
        assert httpx.get(f"{live.url}/api/v1/users", headers=headers).status_code == 403
        assert login(live.url, "joao.admin", "Senha-do-Joao-2").status_code == 200

        # Reset while the server runs: the old password stops working at once.
        code, out, _ = users(
            "reset-password", "maria", "--password-stdin", stdin="Segunda-Senha-22\n"
        )
        assert (code, out) == (0, "new password set for 'maria'\n")
        assert login(live.url, "maria", "Primeira-Senha-1").status_code == 401
        assert login(live.url, "maria", "Segunda-Senha-22").status_code == 200

        # The CLI's changes are in the audit log, by 'cli'.
        admin = {"Authorization": f"Bearer {live.login('joao.admin', 'Senha-do-Joao-2')}"}
        audit = httpx.get(f"{live.url}/api/v1/admin/audit", headers=admin).json()["items"]
        done = {(a["actor"], a["action"], a["target"]) for a in audit}
        assert ("cli", "user.create", "maria") in done
        assert ("cli", "user.reset_password", "maria") in done


def test_generated_password_is_printed_once_and_works(
    users: Callable[..., tuple[int, str, str]], make_settings: Callable[..., Settings]
) -> None:
    code, out, _ = users("create", "caixa")  # stdin is not a terminal: generate one
    assert code == 0
    [password] = [
        line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("password: ")
    ]
    assert len(password) >= 12
    code, out, _ = users("reset-password", "caixa")
    [again] = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("password: ")]
    assert again != password
    with live_server(make_settings()) as live:
        assert login(live.url, "caixa", password).status_code == 401
        assert login(live.url, "caixa", again).status_code == 200


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("create", "ana", "--password-stdin"), "curta\n", "at least 8 characters"),
        (
            ("create", "bad name", "--password-stdin"),
            "Long-Enough-1\n",
            "cannot create user 'bad name'",
        ),
        (
            ("reset-password", "ghost", "--password-stdin"),
            "Long-Enough-1\n",
            "'ghost' does not exist",
        ),
    ],
)
def test_refusals_exit_1_with_one_line(
    users: Callable[..., tuple[int, str, str]], args: tuple[str, ...], stdin: str, message: str
) -> None:
    code, out, err = users(*args, stdin=stdin)
    assert code == 1
    assert out == ""
    assert err.startswith("vigia: ") and message in err and err.count("\n") == 1
    assert "Traceback" not in err
    code, out, _ = users("list")
    assert code == 0 and out == ""  # nothing was written


def test_duplicate_user(users: Callable[..., tuple[int, str, str]]) -> None:
    assert users("create", "ana", "--password-stdin", stdin="Long-Enough-1\n")[0] == 0
    code, _, err = users("create", "ana", "--password-stdin", stdin="Other-Pass-2\n")
    assert code == 1 and "already exists" in err


def test_works_without_a_server_and_creates_the_home(
    users: Callable[..., tuple[int, str, str]], home: Path
) -> None:
    assert not home.exists()
    assert users("list") == (0, "", "")
    assert (home / "vigia.db").is_file()
    assert (home / "logs").is_dir()
