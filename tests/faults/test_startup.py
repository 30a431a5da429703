"""Faults met when ``vigia serve`` starts: the port taken, a corrupt vigia.toml, no keyring.

Each is refused (or worked around) at start with one plain line, never a traceback; the
recovery measured is the next start once the cause is gone.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.e2e.process import REPO, Spawner, VigiaProcess, base_env, run_vigia, vigia_command
from tests.faults.record import FaultRow
from tests.helpers.databases import postgresql_database

CPF = "529.982.247-25"
PASSWORD = "Correct-Horse-Battery-42"


def _line(text: str, needle: str) -> str:
    """The one line of ``text`` that contains ``needle`` (what the user reads)."""
    lines = [line for line in text.splitlines() if needle in line]
    assert lines, f"no line with {needle!r} in:\n{text}"
    return lines[0]


def _listening_socket() -> socket.socket:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    return holder


def _create_user(home: Path, env: dict[str, str] | None = None) -> None:
    created = run_vigia(["users", "create", "maria", "--password-stdin"], home, env, PASSWORD)
    assert created.returncode == 0, created.stderr


def _login(vigia: VigiaProcess) -> str:
    r = httpx.post(
        f"{vigia.url}/api/v1/auth/token",
        data={"username": "maria", "password": PASSWORD},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _logged_in_count(vigia: VigiaProcess) -> int:
    with vigia.client(token=_login(vigia)) as c:
        r = c.get("/api/v1/customers")
        assert r.status_code == 200, r.text
        return int(r.json()["total"])


# -- the port -----------------------------------------------------------------------------


def test_port_taken_at_start_freed_within_the_retry_window(spawn: Spawner, fault: Any) -> None:
    row: FaultRow = fault("Port taken at start, freed within port_retry_s")
    home = spawn.base / "home"
    _create_user(home)
    holder = _listening_socket()
    try:
        port = holder.getsockname()[1]
        vigia = spawn.start(
            "serve", "--port", str(port), home=home, env={"VIGIA_PORT_RETRY_S": "30"}, wait=False
        )
        deadline = time.monotonic() + 30
        while "is in use; retrying" not in vigia.stderr():
            assert vigia.proc.poll() is None, vigia.stderr()
            assert time.monotonic() < deadline, "no 'retrying' message"
            time.sleep(0.05)
    finally:
        holder.close()
    freed = time.monotonic()
    assert vigia.wait_started() == port
    vigia.wait_ready()
    seconds = time.monotonic() - freed
    assert "Traceback" not in vigia.stderr()
    row.sees(_line(vigia.stderr(), "is in use; retrying").partition("netutil: ")[2])
    row.recovered(seconds, "automatic: it keeps trying the port and starts once it is free")
    with vigia.client(token=None) as c:
        r = c.post("/api/v1/auth/token", data={"username": "maria", "password": PASSWORD})
        assert r.status_code == 200, r.text
    row.lost("nothing: 1 of 1 users stored before the start logs in")
    assert vigia.terminate() == 0


def test_port_taken_at_start_and_kept(spawn: Spawner, fault: Any) -> None:
    row: FaultRow = fault("Port taken at start and kept by another program")
    home = spawn.base / "home"
    _create_user(home)
    holder = _listening_socket()
    try:
        port = holder.getsockname()[1]
        started = time.monotonic()
        vigia = spawn.start(
            "serve", "--port", str(port), home=home, env={"VIGIA_PORT_RETRY_S": "1"}, wait=False
        )
        assert vigia.wait(30) == 1
        refused_after = time.monotonic() - started
    finally:
        holder.close()
    err = vigia.stderr()
    message = _line(err, "vigia: cannot start")
    assert f"port {port}" in message and "VIGIA_PORT" in message  # what, and what to do
    assert f"pid {os.getpid()}" in message and psutil.Process().name() in message  # who
    assert "Traceback" not in err
    assert refused_after >= 1.0  # it did wait port_retry_s before giving up
    assert not vigia.run_file.exists()
    row.sees(message)

    started = time.monotonic()
    again = spawn.start("serve", "--port", str(port), home=home)
    again.wait_ready()
    seconds = time.monotonic() - started
    row.recovery_is(
        f"refused after retrying for port_retry_s (1 s here, 10 s by default); "
        f"once the port is free the next start is ready in {seconds:.2f} s"
    )
    assert _logged_in_count(again) == 0
    row.lost("nothing: refused before opening the database; 1 of 1 users stored before logs in")
    assert again.terminate() == 0


# -- vigia.toml ----------------------------------------------------------------------------

GOOD_TOML = b'[vigia]\nhost = "127.0.0.1"\nlog_level = "INFO"\n'
BAD_TOML = {
    # fault: (file bytes, the line the message must name)
    "vigia.toml with a TOML syntax error": (
        b'[vigia]\nhost = "127.0.0.1"\nlog_level = "INFO\n',
        3,
    ),
    "vigia.toml not UTF-8 (saved in another encoding)": (
        b'[vigia]\nhost = "127.0.0.1"\n# configura\xe7\xe3o da loja\nlog_level = "INFO"\n',
        3,
    ),
    "vigia.toml with a value of the wrong type": (
        b'[vigia]\nhost = "127.0.0.1"\ngraceful_shutdown_s = "soon"\n',
        3,
    ),
    "vigia.toml with a misspelt setting": (
        b'[vigia]\nhost = "127.0.0.1"\n\nbackup_keep_dialy = 7\n',
        4,
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_TOML))
def test_corrupt_vigia_toml(spawn: Spawner, fault: Any, name: str) -> None:
    row: FaultRow = fault(name)
    content, line = BAD_TOML[name]
    home = spawn.base / "home"
    home.mkdir()
    toml = home / "vigia.toml"
    toml.write_bytes(content)

    for command in (["serve"], ["check"]):
        result = run_vigia(command, home, timeout=30)
        shown = result.stderr + result.stdout
        assert result.returncode == 1, shown
        assert "Traceback" not in shown, shown
        assert str(toml) in shown and f"line {line}" in shown, shown
        row.sees(_line(shown, f"line {line}"))
    assert toml.read_bytes() == content  # never rewritten, never "repaired"
    assert not (home / "vigia.run.json").exists()

    toml.write_bytes(GOOD_TOML)
    started = time.monotonic()
    vigia = spawn.start("serve", home=home)
    vigia.wait_ready()
    seconds = time.monotonic() - started
    row.recovery_is(
        f"refused at start; once the line is fixed the next start is ready in {seconds:.2f} s"
    )
    row.lost(f"nothing: the file's {len(content)} bytes are unchanged")
    assert vigia.terminate() == 0


# -- the keyring ---------------------------------------------------------------------------


def _env_without_secrets(home: Path) -> dict[str, str]:
    """The 'fail' keyring and no VIGIA_ADMIN_TOKEN / VIGIA_SECRET_KEY."""
    env = base_env(home)
    del env["VIGIA_ADMIN_TOKEN"], env["VIGIA_SECRET_KEY"]
    return env


def _start_without_secrets(spawn: Spawner, home: Path) -> VigiaProcess:
    env = _env_without_secrets(home)
    n = len(spawn.children)
    out, err = spawn.base / f"stdout{n}.txt", spawn.base / f"stderr{n}.txt"
    with out.open("wb") as fout, err.open("wb") as ferr:
        proc = subprocess.Popen(
            vigia_command("serve"),
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=fout,
            stderr=ferr,
        )
    child = VigiaProcess(proc, home, out, err)
    spawn.children.append(child)
    child.wait_started()
    return child


def test_keyring_unavailable_and_no_secrets_set(spawn: Spawner, fault: Any) -> None:
    row: FaultRow = fault("System keyring unavailable, VIGIA_ADMIN_TOKEN / VIGIA_SECRET_KEY unset")
    home = spawn.base / "home"
    _create_user(home)
    vigia = _start_without_secrets(spawn, home)
    vigia.wait_ready()
    err = vigia.stderr()
    assert "Traceback" not in err
    warning = _line(err, "keyring is not available")
    assert "VIGIA_ADMIN_TOKEN" in warning and "VIGIA_SECRET_KEY" in warning  # what to do
    row.sees(warning.partition("secrets: ")[2])
    row.sees(_line(err, "first user").partition("bootstrap: ")[2])

    check = subprocess.run(
        vigia_command("check"),
        cwd=REPO,
        env=_env_without_secrets(home),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert "Traceback" not in check.stdout + check.stderr
    secrets_line = _line(check.stdout, "secrets:")
    assert "[WARN]" in secrets_line and "VIGIA_ADMIN_TOKEN" in secrets_line
    row.sees(secrets_line)

    jwt = _login(vigia)
    with vigia.client(token=jwt) as c:
        r = c.post("/api/v1/customers", json={"name": "Ana", "document": CPF})
        assert r.status_code == 201, r.text
    assert vigia.terminate() == 0

    started = time.monotonic()
    again = _start_without_secrets(spawn, home)
    again.wait_ready()
    seconds = time.monotonic() - started
    with again.client(token=jwt) as c:  # signed with the key that lived in memory
        assert c.get("/api/v1/customers").status_code == 401
    assert _logged_in_count(again) == 1
    row.recovery_is(
        f"serves at once with an admin token and signing key kept in memory; a restart is "
        f"ready in {seconds:.2f} s but new keys mean everyone logs in again"
    )
    row.lost("nothing: 1 of 1 customers there after a restart; 1 session had to log in again")
    assert again.terminate() == 0


@pytest.mark.postgresql
def test_database_password_only_in_an_unavailable_keyring(spawn: Spawner, fault: Any) -> None:
    row: FaultRow = fault("Database password kept only in the system keyring, keyring unavailable")
    with postgresql_database() as url:  # postgres@127.0.0.1, trust: no password in the URL
        env = {"VIGIA_DATABASE_URL": url}
        check = run_vigia(["check"], spawn.base / "home", env, timeout=30)
        assert "Traceback" not in check.stdout + check.stderr
        message = _line(check.stdout, "database_password:")
        assert "VIGIA_DATABASE_PASSWORD" in message and "'postgres'" in message
        row.sees(message)

        vigia = spawn.start("serve", env=env)
        vigia.wait_ready()  # this server trusts 127.0.0.1, so no password is needed here
        err = vigia.stderr()
        assert "Traceback" not in err
        assert "VIGIA_DATABASE_PASSWORD" in _line(err, "has no password in VIGIA_DATABASE_URL")
        with vigia.client() as c:
            r = c.post("/api/v1/customers", json={"name": "Ana", "document": CPF})
            assert r.status_code == 201, r.text
        assert vigia.terminate() == 0

        started = time.monotonic()
        env["VIGIA_DATABASE_PASSWORD"] = "pg-Pa55word-xyz"  # trust ignores it
        again = spawn.start("serve", env=env, home=vigia.home)
        again.wait_ready()
        seconds = time.monotonic() - started
        assert "has no password" not in again.stderr()
        with again.client() as c:
            assert c.get("/api/v1/customers").json()["total"] == 1
        assert again.terminate() == 0
    row.recovered(seconds, "set VIGIA_DATABASE_PASSWORD and restart: the warning is gone")
    row.lost("nothing: 1 of 1 customers there after the restart")
