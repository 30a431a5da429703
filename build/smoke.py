"""Smoke test of a frozen Vigia: the executables start, check passes, serve answers.

Used by ``build/build.py`` after every freeze (Linux and the Windows CI); the deeper
checks (tray on a real desktop, second launch, keyring) are in ``tests/frozen/``. Runs
with a temporary ``VIGIA_HOME`` and secrets from the environment, and forces keyring's
``fail`` backend so it never touches the keyring of the machine that builds.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

WINDOWS = sys.platform == "win32"
READY_TIMEOUT_S = 10.0
# How a service manager stops `vigia serve` gracefully: SIGTERM, or on Windows CTRL+BREAK
# (SIGBREAK) sent to the child's own process group.
if sys.platform == "win32":
    _NEW_PROCESS_GROUP = subprocess.CREATE_NEW_PROCESS_GROUP
    _GRACEFUL_STOP = signal.CTRL_BREAK_EVENT
else:
    _NEW_PROCESS_GROUP = 0
    _GRACEFUL_STOP = signal.SIGTERM


class SmokeError(Exception):
    """The frozen app failed a smoke check; the message says which and shows its output."""


@dataclass
class SmokeResult:
    version: str
    ready_s: float
    checks: list[str] = field(default_factory=list)


def cli_executable(onedir: Path) -> Path:
    """The console executable: ``vigia-cli.exe`` on Windows, ``vigia`` elsewhere."""
    return onedir / ("vigia-cli.exe" if WINDOWS else "vigia")


def gui_executable(onedir: Path) -> Path:
    """What the Start menu and autostart run: windowed ``Vigia.exe`` on Windows."""
    return onedir / ("Vigia.exe" if WINDOWS else "vigia")


def smoke_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIGIA_", "PYTHON"))}
    env.update(
        VIGIA_HOME=str(home),
        VIGIA_PORT="0",
        VIGIA_PORT_RETRY_S="0",
        VIGIA_ADMIN_TOKEN=secrets.token_urlsafe(32),
        VIGIA_SECRET_KEY=secrets.token_urlsafe(32),
        VIGIA_BACKUP_SCHEDULE_ENABLED="false",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return env


def _run(args: list[str], env: dict[str, str], timeout: float = 120) -> str:
    done = subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise SmokeError(f"{' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def ready_after(exe: Path, env: dict[str, str], timeout_s: float = READY_TIMEOUT_S) -> float:
    """Start ``vigia serve``; seconds from the launch to the first ``/readyz`` 200. Then
    stop it the way a service manager would (SIGTERM; CTRL+BREAK on Windows) and check
    it exits 0."""
    home = Path(env["VIGIA_HOME"])
    run_file = home / "vigia.run.json"
    flags = _NEW_PROCESS_GROUP
    log = home.parent / "serve.log"
    home.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [str(exe), "serve"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            creationflags=flags,
        )
    try:
        ready = _wait_ready(proc, run_file, started, timeout_s)
        if ready is None:
            raise SmokeError(
                f"vigia serve: no /readyz 200 within {timeout_s} s\n"
                + log.read_text(encoding="utf-8", errors="replace")[-4000:]
            )
        proc.send_signal(_GRACEFUL_STOP)
        code = proc.wait(60)
        if code != 0:
            raise SmokeError(
                f"vigia serve exited {code} after a graceful stop\n"
                + log.read_text(encoding="utf-8", errors="replace")[-4000:]
            )
        return ready
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _wait_ready(
    proc: subprocess.Popen[bytes], run_file: Path, started: float, timeout_s: float
) -> float | None:
    url = None
    while time.perf_counter() - started < timeout_s:
        if proc.poll() is not None:
            return None
        if url is None:
            try:
                data = json.loads(run_file.read_text(encoding="utf-8"))
                if data.get("pid") == proc.pid:
                    url = f"http://127.0.0.1:{int(data['port'])}/readyz"
            except (OSError, ValueError, KeyError):
                pass
        if url is not None:
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - loopback
                    if answer.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, OSError):
                pass
        time.sleep(0.02)
    return None


def smoke(onedir: Path) -> SmokeResult:
    """Run every smoke check on the onedir build; raise :class:`SmokeError` on a failure."""
    cli = cli_executable(onedir)
    with tempfile.TemporaryDirectory(prefix="vigia-smoke-") as scratch:
        base = Path(scratch)
        env = smoke_env(base / "home")
        version = _run([str(cli), "--version"], env).strip()
        checks = [f"{cli.name} --version: {version}"]
        _run([str(cli), "check"], env)
        checks.append(f"{cli.name} check: exit 0")
        if WINDOWS:  # the windowed executable: no console, stdout/stderr are None
            _run([str(gui_executable(onedir)), "check"], env)
            checks.append("Vigia.exe check (windowed): exit 0")
        ready = ready_after(cli, smoke_env(base / "serve-home"))
        checks.append(f"{cli.name} serve: /readyz 200 after {ready:.2f} s, stopped with exit 0")
    return SmokeResult(version=version, ready_s=ready, checks=checks)
