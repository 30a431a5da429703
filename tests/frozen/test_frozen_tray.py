"""The frozen ``vigia tray`` on a real (virtual) desktop: tests/e2e/desktop_session.py's
Xvfb + D-Bus + trayer + dunst, the same harness as tests/e2e/test_tray.py.

The frozen tray docks its icon, its embedded backend answers, a second frozen launch
exits 0 at once and opens the first one's dashboard (which loads pyqtgraph and numpy
from the bundle), and SIGTERM stops it cleanly.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.desktop_session import DesktopSession, desktop_session, screenshot_dir
from tests.e2e.process import VigiaProcess
from tests.frozen.conftest import frozen_env
from tests.helpers.waiting import wait_for

pytestmark = [pytest.mark.frozen, pytest.mark.desktop, pytest.mark.e2e, pytest.mark.timeout(1800)]

DASHBOARD = "^Vigia — dashboard$"


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[DesktopSession]:
    with desktop_session(tmp_path / "desktop") as session:
        yield session


def backend_answers(home: Path) -> bool:
    try:
        port = json.loads((home / "vigia.run.json").read_text(encoding="utf-8"))["port"]
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except (OSError, ValueError, KeyError, httpx.HTTPError):
        return False


def test_frozen_tray_on_a_real_desktop(
    vigia_exe: Path, desktop: DesktopSession, outside: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    env = {**frozen_env(home), **desktop.env}
    out, err = outside / "tray.out", outside / "tray.err"
    with out.open("wb") as fout, err.open("wb") as ferr:
        proc = subprocess.Popen(
            [str(vigia_exe), "tray"],
            cwd=outside,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=fout,
            stderr=ferr,
        )
    tray = VigiaProcess(proc, home, out, err)
    try:
        wait_for(lambda: backend_answers(home), 30, "the frozen tray's backend to answer /readyz")
        icons = wait_for(desktop.tray_icons, 20, "the frozen tray's icon in the panel")
        assert isinstance(icons, list) and len(icons) == 1, icons
        assert (icons[0].width, icons[0].height) >= (16, 16)
        assert tray.proc.poll() is None
        desktop.screenshot(screenshot_dir() / "frozen-tray.png", crop="560x120+720+0")

        # A second launch hands "show" to the first and exits 0 at once.
        started = time.monotonic()
        second = subprocess.run(
            [str(vigia_exe), "tray"],
            cwd=outside,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert second.returncode == 0, second.stdout + second.stderr
        assert "already running" in second.stdout + second.stderr
        assert time.monotonic() - started < 10
        windows = wait_for(lambda: desktop.visible_windows(DASHBOARD), 20, "the dashboard")
        assert isinstance(windows, list) and len(windows) == 1
        time.sleep(1.5)  # a poll or two on the graph
        desktop.screenshot(screenshot_dir() / "frozen-dashboard.png", window=windows[0])
        assert tray.proc.poll() is None, "the dashboard (pyqtgraph, numpy) crashed the tray"

        tray.signal(signal.SIGTERM)
        assert tray.wait(60) == 0, tray.stderr()[-4000:]
        assert any(r["msg"] == "monitor stopped" for r in tray.log_records())
        problems = [r for r in tray.log_records() if r.get("level") in ("ERROR", "CRITICAL")]
        assert not problems, problems
        assert "Traceback" not in tray.stderr(), tray.stderr()[-4000:]
    finally:
        tray.kill()
