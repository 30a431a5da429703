"""``vigia tray`` on a real (virtual) desktop: Xvfb, trayer, dunst, a D-Bus session.

What a person would see and do, done the same way: the icon docks in the tray in the
state's colour (read from the screen), the menu is opened with a right click and
"Restart backend" chosen with its mnemonic key (xdotool), toasts reach the notification
daemon over D-Bus, a second launch brings up the first one's dashboard, and the log
viewer, "Back up now" (the backups window) and the settings are opened from the menu the
same way, pictured and closed. Screenshots go to ``.work/screenshots/`` (or
``$VIGIA_SCREENSHOT_DIR``).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.desktop_session import (
    DesktopSession,
    Window,
    desktop_session,
    screenshot_dir,
    wait_for,
)
from tests.e2e.process import REPO, VigiaProcess, base_env, vigia_command
from tests.helpers.live import ADMIN_TOKEN

pytestmark = [pytest.mark.desktop, pytest.mark.e2e]

GREEN, RED = (0x2E, 0x9D, 0x4A), (0xD9, 0x30, 0x25)
DASHBOARD = "^Vigia — dashboard$"
LOGS = "^Vigia — Logs$"
BACKUPS = "^Vigia — Backups$"
SETTINGS = "^Vigia — Settings$"
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


def test_the_tray_on_a_real_desktop(
    desktop: DesktopSession, launch: Callable[..., Tray], tmp_path: Path
) -> None:
    shots = screenshot_dir()
    tray = launch(tmp_path / "home")

    # The backend answers (goal: within 5 s of the launch, measured without other load by
    # tests/perf; a timed assertion here would fail on a busy machine, not on a slow Vigia);
    # the icon docks in the tray, green.
    wait_for(tray.answers, 30, "the embedded backend to answer /readyz")
    answered_after = time.monotonic() - tray.started
    print(f"the embedded backend answered {answered_after:.2f} s after the launch")
    tray.wait_colour(GREEN)
    icon = tray.icon()
    assert (icon.width, icon.height) >= (16, 16)

    # Hovering shows the one-line summary.
    desktop.run("xdotool", "mousemove", *map(str, icon.centre))
    time.sleep(1.5)
    desktop.screenshot(shots / "tray-tooltip.png", crop="560x120+720+0")

    # Restart backend, from the menu: right click, then its mnemonic.
    tray.open_menu()
    desktop.screenshot(shots / "tray-menu.png", crop="460x330+820+0")
    seen = len(tray.transitions())
    tray.choose("r")
    stopping = tray.wait_transition("running -> stopping: restarting: restart asked", seen)
    tray.wait_transition("starting -> running", stopping)
    wait_for(tray.answers, 30, "the backend to answer after the restart")
    tray.wait_colour(GREEN)

    # A second launch exits 0 at once; the first one shows its dashboard.
    second = tray.run("tray", timeout=30)
    assert second.returncode == 0, second.stderr
    assert "already running" in second.stdout + second.stderr
    [window] = wait_for(lambda: desktop.visible_windows(DASHBOARD), 15, "the dashboard")
    time.sleep(2)  # a poll or two for the graph
    desktop.screenshot(shots / "dashboard-running.png", window=window)

    # The other windows, each from the menu by its mnemonic, pictured, then closed (the
    # way a window manager's close button does; the settings with Escape) so nothing
    # covers the icon or is left open when Quit comes.
    # View logs: it opens (whether its rows are there is seen in the picture, not read).
    assert tray.process.log_records(), "the backend's log is empty"
    tray.open_menu()
    tray.choose("l")
    logs = tray.window(LOGS)
    desktop.settle(logs)
    desktop.screenshot(shots / "log-viewer.png", window=logs)
    tray.close(logs, LOGS)

    # Back up now: the backups window opens and makes one; the backend lists it, usable
    # and verified; the picture is taken when the window has stopped changing (its
    # progress bar gone, the list refreshed).
    assert tray.backups() == []
    tray.open_menu()
    tray.choose("b")
    backups = tray.window(BACKUPS)
    made = wait_for(
        lambda: [b for b in tray.backups() if b["status"] == "ok" and b["verified"]],
        120,
        "the backup made by Back up now",
    )
    assert isinstance(made, list) and len(made) == 1, made
    assert made[0]["trigger"] == "manual"
    assert desktop.settle(backups, timeout=60), "the backups window kept changing"
    desktop.screenshot(shots / "backups.png", window=backups)
    tray.close(backups, BACKUPS)

    # Settings…: the dialog opens; Escape closes it without saving.
    tray.open_menu()
    tray.choose("s")
    settings = tray.window(SETTINGS)
    desktop.settle(settings)
    desktop.screenshot(shots / "settings.png", window=settings)
    desktop.run("xdotool", "windowfocus", settings)
    desktop.run("xdotool", "key", "Escape")
    wait_for(lambda: not desktop.visible_windows(SETTINGS), 15, "the settings to close")
    assert not any("settings saved" in r.get("msg", "") for r in tray.process.log_records())

    # Quit from the menu: the backend stops gracefully, the process exits 0.
    tray.open_menu()
    tray.choose("q")
    assert tray.process.wait(60) == 0
    assert any(r["msg"] == "monitor stopped" for r in tray.process.log_records())


@pytest.mark.postgresql
def test_a_database_outage_turns_the_tray_red_and_raises_a_toast(
    desktop: DesktopSession, launch: Callable[..., Tray], tmp_path: Path
) -> None:
    from tests.helpers.databases import postgresql_database
    from tests.helpers.tcp_proxy import tcp_proxy

    shots = screenshot_dir()
    home = tmp_path / "home"
    home.mkdir()
    # Alerts after 2 s instead of 6 (the tray's own settings file).
    (home / "desktop.json").write_text(
        json.dumps({"monitor": {"alert_min_duration_s": 2, "poll_interval_s": 1}}),
        encoding="utf-8",
    )
    with tcp_proxy("127.0.0.1", 5432) as proxy, postgresql_database() as url:
        proxied = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        tray = Tray(
            desktop,
            home,
            VIGIA_DATABASE_URL=proxied,
            VIGIA_DB_CONNECT_TIMEOUT_S="2",
            VIGIA_DB_CIRCUIT_RESET_S="1",
            VIGIA_HEALTH_CACHE_S="0",
        )
        wait_for(tray.answers, 30, "the backend on PostgreSQL")
        tray.wait_colour(GREEN)
        up = tray.wait_transition("-> running")

        proxy.pause()  # the database server goes away
        tray.wait_transition("running -> degraded: the backend answers but reports fail", up)
        tray.wait_colour(RED)
        toast = wait_for(
            lambda: [n for n in desktop.notifications() if n.summary == "Database not answering"],
            30,
            "the toast",
        )
        assert isinstance(toast, list)
        assert toast[0].app == "Vigia"
        assert "cannot reach its database" in toast[0].body
        # dunst draws it a moment after the call: picture it once it is shown and still.
        [shown] = wait_for(desktop.toast_windows, 15, "dunst's toast window")
        desktop.settle(shown, quiet=1.0, timeout=10)
        desktop.screenshot(shots / "toast-database-down.png", crop="700x260+580+0")

        # The dashboard says so too (double-click on the icon opens it).
        x, y = tray.icon().centre
        desktop.run(
            "xdotool", "mousemove", str(x), str(y), "click", "--repeat", "2", "--delay", "80", "1"
        )
        [window] = wait_for(lambda: desktop.visible_windows(DASHBOARD), 15, "the dashboard")
        time.sleep(1.5)
        desktop.screenshot(shots / "dashboard-database-down.png", window=window)

        proxy.resume()  # back: green again, and a toast says it is over
        tray.wait_colour(GREEN, timeout=60)
        wait_for(
            lambda: [
                n for n in desktop.notifications() if n.body == "The database is answering again."
            ],
            30,
            "the all-clear toast",
        )
        tray.process.signal()  # SIGTERM: a clean quit
        assert tray.process.wait(60) == 0
