"""The frozen Vigia (PyInstaller onedir) on Linux: the executable CI builds, run the way
an admin runs it. Each test starts it from a temp directory with a temp ``VIGIA_HOME``."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.e2e.process import VigiaProcess
from tests.frozen.conftest import frozen_env

pytestmark = [pytest.mark.frozen, pytest.mark.e2e, pytest.mark.timeout(1800)]


def run(
    exe: Path, *args: str, cwd: Path, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(exe), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start(exe: Path, *args: str, cwd: Path, env: dict[str, str]) -> VigiaProcess:
    home = Path(env["VIGIA_HOME"])
    out, err = cwd / f"{args[0]}.out", cwd / f"{args[0]}.err"
    with out.open("wb") as fout, err.open("wb") as ferr:
        proc = subprocess.Popen(
            [str(exe), *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=fout, stderr=ferr
        )
    return VigiaProcess(proc, home, out, err)


def test_frozen_check_passes(vigia_exe: Path, outside: Path, tmp_path: Path) -> None:
    done = run(vigia_exe, "check", "--json", cwd=outside, env=frozen_env(tmp_path / "home"))
    assert done.returncode == 0, done.stdout + done.stderr
    results = {r["name"]: r for r in json.loads(done.stdout)["checks"]}
    assert results["packages"]["status"] == "pass"
    assert results["routers"]["status"] == "pass", results["routers"]
    assert results["database"]["status"] == "pass"


def test_frozen_serve_is_ready_within_10_s_and_stops_gracefully(
    vigia_exe: Path, outside: Path, tmp_path: Path
) -> None:
    env = frozen_env(tmp_path / "home")
    started = time.monotonic()
    server = start(vigia_exe, "serve", cwd=outside, env=env)
    try:
        server.wait_started(timeout=10)
        body = server.wait_ready(timeout=max(0.1, 10 - (time.monotonic() - started)))
        ready_after = time.monotonic() - started
        assert ready_after <= 10, ready_after
        assert body["status"] == "pass", body
        routers = body["checks"]["routers:loaded"]
        assert routers and all(r["status"] == "pass" for r in routers), routers
        # The schema was created by Alembic running the migration scripts from the bundle.
        server.wait_for_log(lambda r: "database schema migrated from empty to" in r["msg"])
        # A real request through the ERP API (JWT-free: the admin token).
        with server.client() as client:
            made = client.post(
                "/api/v1/products",
                json={"sku": "F-1", "name": "Frozen", "price": "1.50", "stock": 3},
            )
            assert made.status_code == 201, made.text
        server.signal(signal.SIGTERM)
        assert server.wait(30) == 0, server.stderr()
        assert "backend stopped" in server.stderr()
    finally:
        server.kill()


def test_frozen_app_reports_itself_frozen_with_its_packages(
    vigia_exe: Path, outside: Path, tmp_path: Path
) -> None:
    target = tmp_path / "support.zip"
    env = frozen_env(tmp_path / "home")
    done = run(vigia_exe, "diagnostics", str(target), cwd=outside, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(target) as bundle:
        versions = json.loads(bundle.read("versions.json"))
    assert versions["frozen"] is True
    assert versions["executable"] == str(vigia_exe)
    packages = {name.lower(): version for name, version in versions["packages"].items()}
    assert packages["vigia"] == versions["vigia"] != "0.0.0+source"
    for name in ("fastapi", "sqlalchemy", "alembic", "uvicorn", "keyring", "psycopg", "pymysql"):
        assert name in packages, sorted(packages)


def test_frozen_app_without_a_keyring_falls_back_with_a_warning(
    vigia_exe: Path, outside: Path, tmp_path: Path
) -> None:
    """PYTHON_KEYRING_BACKEND unset, no D-Bus session: keyring finds no usable backend on
    a headless Linux machine, says so, and Vigia keeps going (expected)."""
    env = frozen_env(
        tmp_path / "home",
        PYTHON_KEYRING_BACKEND="",
        DBUS_SESSION_BUS_ADDRESS="",
        VIGIA_ADMIN_TOKEN="",
        VIGIA_SECRET_KEY="",
    )
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    done = run(vigia_exe, "check", "--json", cwd=outside, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    secrets = {r["name"]: r for r in json.loads(done.stdout)["checks"]}["secrets"]
    assert secrets["status"] == "warn"
    assert "no keyring" in secrets["message"]


def test_frozen_app_finds_its_keyring_backends(
    vigia_exe: Path, outside: Path, tmp_path: Path
) -> None:
    """With a Secret Service on the session bus (gnome-keyring), the frozen app finds
    keyring's SecretService backend through its entry points (PYTHON_KEYRING_BACKEND
    unset) and stores the generated secrets there: keyring, secretstorage, jeepney and
    cryptography all work from the bundle."""
    needed = ("dbus-run-session", "gnome-keyring-daemon")
    missing = [tool for tool in needed if shutil.which(tool) is None]
    if missing:
        if _on_ci():
            pytest.fail(f"{missing} missing on CI (bash scripts/system-deps.sh installs them)")
        pytest.skip(f"needs {missing} (Debian packages dbus, gnome-keyring)")
    user_home = tmp_path / "user"
    runtime = tmp_path / "runtime"
    for folder in (user_home, runtime):
        folder.mkdir(mode=0o700)
    env = frozen_env(
        tmp_path / "home",
        PYTHON_KEYRING_BACKEND="",
        VIGIA_ADMIN_TOKEN="",
        VIGIA_SECRET_KEY="",
        HOME=str(user_home),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_DATA_HOME=str(user_home / ".local" / "share"),
    )
    script = f"""
printf test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
"{vigia_exe}" serve >serve.log 2>&1 &  # first start: generates the secrets, stores them
for _ in $(seq 150); do "{vigia_exe}" status >/dev/null 2>&1 && break; sleep 0.2; done
kill -TERM $! && wait $!
exec "{vigia_exe}" check --json
"""
    done = subprocess.run(
        ["dbus-run-session", "--", "bash", "-c", script],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    secrets = {r["name"]: r for r in json.loads(done.stdout)["checks"]}["secrets"]
    assert secrets == secrets | {
        "status": "pass",
        "message": "admin token stored in the system keyring",
    }
    assert "keyring is not available" not in done.stderr
    log = (outside / "serve.log").read_text(encoding="utf-8")
    assert "generated a new admin_token and stored it in the system keyring" in log, log


def test_frozen_status_reads_a_running_backend(
    vigia_exe: Path, outside: Path, tmp_path: Path
) -> None:
    env = frozen_env(tmp_path / "home")
    server = start(vigia_exe, "serve", cwd=outside, env=env)
    try:
        server.wait_started(timeout=20)
        server.wait_ready()
        done = run(vigia_exe, "status", "--json", cwd=outside, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert json.loads(done.stdout)["status"] == "pass"
        assert httpx.get(f"{server.url}/livez", timeout=5).json() == {"status": "pass"}
    finally:
        server.terminate()
        server.kill()


def _on_ci() -> bool:
    import os

    return bool(os.environ.get("CI"))
