"""``vigia tray`` on the command line, without a display: the other commands never load
Qt, the tray falls back to serving, a command for a tray that is not running fails."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.e2e.process import REPO, base_env

NO_QT = """
import sys
from embedded_backend.cli.main import main
code = main(sys.argv[1:])
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph"))
print("QT-MODULES", qt, file=sys.stderr)
sys.exit(code)
"""


def headless_env(home: Path) -> dict[str, str]:
    env = base_env(home)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(name, None)
    return env


def test_check_and_status_never_import_qt(tmp_path: Path) -> None:
    for args in (["check"], ["status"], ["backup", "list"], ["--version"]):
        done = subprocess.run(
            [sys.executable, "-c", NO_QT, *args],
            cwd=REPO,
            env=headless_env(tmp_path / "home"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        if args == ["--version"]:
            assert done.returncode == 0 and "vigia" in done.stdout
            continue
        assert "QT-MODULES []" in done.stderr, (args, done.stderr[-2000:])


def test_the_desktop_core_and_tray_modules_load_without_pyqtgraph(tmp_path: Path) -> None:
    code = (
        "import sys, desktop.ui.app, desktop.ui.tray, desktop.ui.bridge\n"
        "print('pyqtgraph' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=headless_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "False"


def test_without_a_display_the_tray_serves_and_says_so_in_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    err = tmp_path / "stderr.txt"
    with err.open("wb") as ferr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "embedded_backend.cli.main"],  # no command = tray
            cwd=REPO,
            env=headless_env(home),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=ferr,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, err.read_text()
            try:
                run = json.loads((home / "vigia.run.json").read_text())
                if httpx.get(f"http://127.0.0.1:{run['port']}/livez", timeout=2).is_success:
                    break
            except (OSError, ValueError, KeyError, httpx.HTTPError):
                pass
            assert time.monotonic() < deadline, err.read_text()
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    first = err.read_text().splitlines()[0]
    assert first == (
        "vigia: no graphical display (DISPLAY is not set); running 'vigia serve' instead "
        "(Ctrl+C to stop)"
    )


def test_a_command_for_a_tray_that_is_not_running_fails(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "embedded_backend.cli.main", "tray", "--command", "restart"],
        cwd=REPO,
        env=headless_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "no tray is running" in done.stderr
    assert os.path.isdir(tmp_path / "home")


def test_a_bad_remote_address_is_said_in_words(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "embedded_backend.cli.main", "tray", "--url", "erp-server"],
        cwd=REPO,
        env=headless_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "vigia: 'erp-server' is not a backend address; give one like http://erp-server:8002"
    )


def test_a_display_nobody_serves_is_seen_before_qt_aborts(tmp_path: Path) -> None:
    env = headless_env(tmp_path / "home")
    env["DISPLAY"] = ":4321"  # a display left over in an SSH session, say
    done = subprocess.run(
        [sys.executable, "-m", "embedded_backend.cli.main", "tray", "--url", "http://erp:8002"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "vigia: cannot start the tray: no X server answers on display :4321"
    )


def test_without_pyside6_the_tray_says_so(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "sys.modules['PySide6'] = None  # as if it were not installed\n"
        "from embedded_backend.cli.main import main\n"
        "sys.exit(main(['tray', '--url', 'http://erp:8002']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=headless_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "vigia: cannot start the tray: the tray app needs PySide6 (cannot import PySide6.QtCore)"
    )
