"""The comparison anchor: supervisord restarting a killed bare uvicorn app.

supervisord (the Debian package ``supervisor``) runs in a temp directory of its own, its
control on a Unix socket there, with one program: ``bare_app.py`` (the benchmark's bare
FastAPI app, on SQLite) under ``python -m uvicorn`` on a free loopback port, with
``autorestart=true`` and supervisord's other defaults (``startsecs=1``, ``startretries=3``,
no restart delay of its own). One measurement: ``kill -9`` the app's process, then
``GET /readyz`` every 5 ms (a new connection each time) until it answers 200 again, from
the new process (its pid is checked). Before each kill supervisord must report the
program RUNNING, so the kill is never a failed start that it would back off from.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil
from bench_servers import PYTHON, REPO, free_port, http

POLL_S = 0.005


def supervisord_version() -> str:
    exe = shutil.which("supervisord")
    if exe is None:
        return "not installed"
    done = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "?"


class Supervisord:
    def __init__(self, workdir: Path) -> None:
        if shutil.which("supervisord") is None or shutil.which("supervisorctl") is None:
            raise SystemExit(
                "supervisord is not installed (the anchor of the recovery rows); install it "
                "with: apt-get install supervisor (scripts/system-deps.sh does)"
            )
        self.dir = workdir / "supervisord"
        self.dir.mkdir(parents=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.conf = self.dir / "supervisord.conf"
        self.proc: subprocess.Popen[bytes] | None = None
        self._write_conf()

    def _write_conf(self) -> None:
        d = self.dir
        command = (
            f"{PYTHON} -m uvicorn tests.perf.bare_app:app --host 127.0.0.1 "
            f"--port {self.port} --no-access-log --no-server-header"
        )
        env = {
            "BARE_DATABASE_URL": f"sqlite:///{d / 'bare.db'}",
            "PYTHONPATH": str(REPO),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        environment = ",".join(f'{k}="{v}"' for k, v in env.items())
        self.conf.write_text(
            f"""[unix_http_server]
file={d / "supervisor.sock"}
chmod=0700

[supervisord]
nodaemon=true
logfile={d / "supervisord.log"}
pidfile={d / "supervisord.pid"}
childlogdir={d}
loglevel=info

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{d / "supervisor.sock"}

[program:bare]
command={command}
directory={REPO}
environment={environment}
autostart=true
autorestart=true
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile={d / "bare.out"}
""",
            encoding="utf-8",
        )

    # -- control -----------------------------------------------------------------------
    def start(self) -> None:
        with (self.dir / "supervisord.out").open("wb") as out:
            self.proc = subprocess.Popen(
                ["supervisord", "-n", "-c", str(self.conf)],
                cwd=self.dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_running(60)
        self._wait_answers(60)

    def ctl(self, *args: str) -> str:
        done = subprocess.run(
            ["supervisorctl", "-c", str(self.conf), *args],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        return done.stdout.strip()

    def _status(self) -> tuple[str, int | None]:
        parts = self.ctl("status", "bare").split()
        state = parts[1] if len(parts) > 1 else "?"
        pid = int(parts[3].rstrip(",")) if state == "RUNNING" and len(parts) > 3 else None
        return state, pid

    def _wait_running(self, timeout_s: float) -> int:
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"supervisord exited; see {self.dir}")
            state, pid = self._status()
            if state == "RUNNING" and pid is not None:
                return pid
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"supervisord: bare is {state}, not RUNNING, after {timeout_s:.0f} s"
                )
            time.sleep(0.1)

    def _wait_answers(self, timeout_s: float) -> float:
        """Poll /readyz until 200; return the perf_counter() of that answer."""
        deadline = time.monotonic() + timeout_s
        while True:
            with contextlib.suppress(OSError):
                status, _ = http("GET", self.url + "/readyz", timeout=1.0)
                if status == 200:
                    return time.perf_counter()
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bare app did not answer within {timeout_s:.0f} s")
            time.sleep(POLL_S)

    def kill_once(self) -> float:
        """kill -9 the app; seconds until it answers /readyz 200 again."""
        pid = self._wait_running(60)
        time.sleep(0.2)  # a steady state, as for Vigia
        killed = time.perf_counter()
        os.kill(pid, signal.SIGKILL)
        # The old process is gone (a zombie until supervisord reaps it) before we ask,
        # so no answer can come from it.
        with contextlib.suppress(psutil.Error):
            old = psutil.Process(pid)
            while old.status() != psutil.STATUS_ZOMBIE:
                time.sleep(0.0005)
        answered = self._wait_answers(30)
        new_pid = self.ctl("pid", "bare")
        if not new_pid.isdigit() or int(new_pid) in (0, pid):
            raise RuntimeError(f"supervisord: no new process after the kill (pid {new_pid!r})")
        return answered - killed

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        self.ctl("shutdown")
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
