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
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e import tray as shared
from tests.e2e.desktop_session import DesktopSession, screenshot_dir
from tests.e2e.tray import GREEN, RED, Tray
from tests.helpers.waiting import wait_for

pytestmark = [pytest.mark.desktop, pytest.mark.e2e]

DASHBOARD = "^Vigia — dashboard$"
LOGS = "^Vigia — Logs$"
BACKUPS = "^Vigia — Backups$"
SETTINGS = "^Vigia — Settings$"

# The shared fixtures (tests/e2e/tray.py), requested by name below.
desktop, launch = shared.desktop, shared.launch


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
