"""``vigia`` as a real child process, with a temp ``VIGIA_HOME``; always killed at the end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.helpers.live import ADMIN_TOKEN, SECRET_KEY

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def base_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a child: ours minus every VIGIA_*, plus a temp home and secrets.

    The keyring is forced to the 'fail' backend so a child never touches a real keyring.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIA_")}
    env.update(
        {
            "VIGIA_HOME": str(home),
            "VIGIA_PORT": "0",
            "VIGIA_ADMIN_TOKEN": ADMIN_TOKEN,
            "VIGIA_SECRET_KEY": SECRET_KEY,
            "VIGIA_PORT_RETRY_S": "0",
            "VIGIA_BACKUP_SCHEDULE_ENABLED": "false",  # no daily backup racing a test
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "PYTHONPATH": os.pathsep.join([str(FIXTURES), str(REPO)]),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def vigia_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "embedded_backend.cli.main", *args]


@dataclass
class VigiaProcess:
    proc: subprocess.Popen[bytes]
    home: Path
    out_path: Path
    err_path: Path
    port: int | None = None
    _clients: list[httpx.Client] = field(default_factory=list)

    # -- observation -------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self.port is not None, "the server has not published its port"
        return f"http://127.0.0.1:{self.port}"

    @property
    def run_file(self) -> Path:
        return self.home / "vigia.run.json"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "backend.jsonl"

    def stdout(self) -> str:
        return self.out_path.read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")

    def log_text(self) -> str:
        try:
            return self.log_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def log_records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log_text().splitlines() if line.strip()]

    def wait_for_log(self, predicate: Any, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for record in self.log_records():
                if predicate(record):
                    return record
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no matching log record within {timeout} s:\n{self.log_text()[-4000:]}"
                )
            time.sleep(0.05)

    def client(self, token: str | None = ADMIN_TOKEN, timeout: float = 30) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)
        self._clients.append(client)
        return client

    # -- control -----------------------------------------------------------------
    def wait_started(self, timeout: float = 30.0) -> int:
        """Wait for the run file this process publishes and for /livez; return the port."""
        deadline = time.monotonic() + timeout
        while True:
            code = self.proc.poll()
            if code is not None:
                raise AssertionError(
                    f"vigia exited with {code} before serving:\n"
                    f"stdout: {self.stdout()}\nstderr: {self.stderr()[-4000:]}"
                )
            try:
                data = json.loads(self.run_file.read_text(encoding="utf-8"))
                if data.get("pid") == self.proc.pid:
                    self.port = int(data["port"])
                    if httpx.get(f"{self.url}/livez", timeout=2).status_code == 200:
                        return self.port
            except (OSError, ValueError, KeyError, httpx.HTTPError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"vigia did not start within {timeout} s:\n{self.stderr()[-4000:]}"
                )
            time.sleep(0.05)

    def wait_ready(self, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            r = httpx.get(f"{self.url}/readyz", timeout=5)
            if r.status_code == 200:
                return dict(r.json())
            if time.monotonic() > deadline:
                raise AssertionError(f"/readyz still {r.status_code} after {timeout} s: {r.text}")
            time.sleep(0.1)

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 30.0) -> int:
        return self.proc.wait(timeout)

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait for the exit code."""
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        for client in self._clients:
            client.close()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class Spawner:
    """Starts ``vigia`` children and kills whatever is still running at teardown."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.children: list[VigiaProcess] = []

    def start(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        home: Path | None = None,
        wait: bool = True,
    ) -> VigiaProcess:
        n = len(self.children)
        home = home or self.base / f"home{n}"
        out = self.base / f"stdout{n}.txt"
        err = self.base / f"stderr{n}.txt"
        with out.open("wb") as fout, err.open("wb") as ferr:
            proc = subprocess.Popen(
                vigia_command(*(args or ("serve",))),
                cwd=REPO,
                env=base_env(home, **dict(env or {})),
                stdin=subprocess.DEVNULL,
                stdout=fout,
                stderr=ferr,
            )
        child = VigiaProcess(proc, home, out, err)
        self.children.append(child)
        if wait:
            child.wait_started()
        return child

    def kill_all(self) -> None:
        for child in self.children:
            child.kill()


def run_vigia(
    args: Iterable[str],
    home: Path,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run one short ``vigia`` command to completion (killed on timeout)."""
    return subprocess.run(
        vigia_command(*args),
        cwd=REPO,
        env=base_env(home, **dict(env or {})),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
