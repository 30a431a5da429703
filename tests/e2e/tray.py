"""``vigia tray`` as a real process on a virtual desktop (tests/e2e/desktop_session.py),
and the ``desktop``/``launch`` fixtures: shared by tests/e2e/test_tray.py and the tray's
rows of the fault matrix (tests/faults/test_tray_faults.py).

:class:`Tray` reads what a person sees (the icon's colour from the screen, the
supervisor's transitions from the log) and does what a person does (the menu by right
click and mnemonic keys), so the tests using it exercise the tray as shipped.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.desktop_session import DesktopSession, Window, desktop_session
from tests.e2e.process import REPO, VigiaProcess, base_env, vigia_command
from tests.helpers.live import ADMIN_TOKEN
from tests.helpers.waiting import wait_for

GREEN, RED = (0x2E, 0x9D, 0x4A), (0xD9, 0x30, 0x25)
SESSION_VARS = ("DISPLAY", "HOME", "TMPDIR", "LANG", "LC_ALL", "LANGUAGE")


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[DesktopSession]:
    with desktop_session(tmp_path / "desktop") as session:
        yield session


@pytest.fixture
def launch(desktop: DesktopSession) -> Iterator[Callable[..., Tray]]:
    """``launch(home, **env)`` starts a tray; any still running at the end is killed."""
    started: list[Tray] = []

    def start(home: Path, **env: str) -> Tray:
        tray = Tray(desktop, home, **env)
        started.append(tray)
        return tray

    yield start
    for tray in started:
        tray.process.kill()


class Tray:
    """One ``vigia tray`` process on the desktop, with what the tests look at."""

    def __init__(self, desktop: DesktopSession, home: Path, **env: str) -> None:
        self.desktop = desktop
        self.home = home
        # The session's display, bus and folders, never the test process's (the unit tests
        # of this run may have set QT_QPA_PLATFORM=offscreen, say).
        ours = base_env(home, **env)
        for name in list(ours):
            if name.startswith(("QT_", "XDG_", "DBUS_", "WAYLAND_")) or name in SESSION_VARS:
                del ours[name]
        self.env = {**ours, **desktop.env}
        self.started = time.monotonic()
        self.process = self._spawn("tray", "tray")

    def _spawn(self, name: str, *args: str) -> VigiaProcess:
        out, err = self.home.parent / f"{name}.out", self.home.parent / f"{name}.err"
        with out.open("wb") as fout, err.open("wb") as ferr:
            proc = subprocess.Popen(
                vigia_command(*args),
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=fout,
                stderr=ferr,
            )
        return VigiaProcess(proc, self.home, out, err)

    def run(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            vigia_command(*args),
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    # -- what is shown ---------------------------------------------------------------
    def icon(self, timeout: float = 15) -> Window:
        found = wait_for(lambda: self.desktop.tray_icons(), timeout, "the tray icon")
        assert isinstance(found, list) and len(found) == 1, found
        window: Window = found[0]
        return window

    def colour_share(self, colour: tuple[int, int, int]) -> float:
        pixels = self.desktop.pixels(self.icon().id)
        close = [p for p in pixels if all(abs(a - b) < 40 for a, b in zip(p, colour, strict=True))]
        return len(close) / max(len(pixels), 1)

    def wait_colour(self, colour: tuple[int, int, int], timeout: float = 30) -> None:
        wait_for(lambda: self.colour_share(colour) > 0.15, timeout, f"the icon in {colour}")

    def transitions(self) -> list[str]:
        return [
            r["msg"]
            for r in self.process.log_records()
            if r.get("logger") == "desktop.core.supervisor" and " -> " in r.get("msg", "")
        ]

    def wait_transition(self, text: str, after: int = 0, timeout: float = 30) -> int:
        """Index of the first supervisor transition containing ``text`` after ``after``."""

        def find() -> int | None:
            for index, message in enumerate(self.transitions()):
                if index >= after and text in message:
                    return index + 1
            return None

        found = wait_for(find, timeout, f"the transition '{text}' (seen: {self.transitions()})")
        assert isinstance(found, int)
        return found - 1

    def ready_url(self) -> str:
        run = json.loads((self.home / "vigia.run.json").read_text(encoding="utf-8"))
        return f"http://127.0.0.1:{run['port']}"

    # -- what is done ------------------------------------------------------------------
    def open_menu(self) -> None:
        x, y = self.icon().centre
        self.desktop.run("xdotool", "mousemove", str(x), str(y), "click", "3")
        wait_for(self._menu_shown, 10, "the tray menu")

    def _menu_shown(self) -> bool:
        windows = self.desktop.run(
            "xdotool", "search", "--onlyvisible", "--classname", "^vigia$", check=False
        ).split()
        return any(self.desktop.geometry(w).height > 150 for w in windows)

    def choose(self, key: str) -> None:
        """Press a menu entry's mnemonic (the underlined letter) in the open menu."""
        self.desktop.run("xdotool", "key", key)

    def window(self, title: str, timeout: float = 30) -> str:
        """The one visible window whose title matches ``title`` (an xdotool regex)."""
        found = wait_for(lambda: self.desktop.visible_windows(title), timeout, title)
        assert isinstance(found, list) and len(found) == 1, found
        window: str = found[0]
        return window

    def close(self, window: str, title: str) -> None:
        """Close a window as its title bar's close button would, and wait until it is gone."""
        self.desktop.close_window(window)
        wait_for(lambda: not self.desktop.visible_windows(title), 15, f"{title} to close")

    def backups(self) -> list[dict[str, object]]:
        """The backups the running backend lists (its admin API)."""
        answer = httpx.get(
            self.ready_url() + "/api/v1/admin/backups",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=10,
        )
        answer.raise_for_status()
        items = answer.json()["items"]
        assert isinstance(items, list)
        return items

    def answers(self) -> bool:
        try:
            return httpx.get(self.ready_url() + "/readyz", timeout=2).status_code == 200
        except (OSError, ValueError, KeyError, httpx.HTTPError):
            return False
