"""A real desktop for end-to-end tests of the tray: Xvfb on a free display, a private
D-Bus session bus, a system tray (trayer, an XEmbed tray like many Linux panels) and a
notification daemon (dunst), all in the test's temp dir and all stopped at teardown.

What the tray does there (checked, not assumed): Qt looks for a StatusNotifierItem host
on the session bus, finds none (trayer is XEmbed only) and docks an XEmbed window into
trayer's panel, a child of the panel window whose WM_CLASS is the app's. Toasts go to
dunst through ``org.freedesktop.Notifications.Notify`` (desktop/ui/notify.py); a
``dbus-monitor`` started here records every Notify call, so the test reads exactly what
was sent (``dunstctl history`` only lists notifications already closed).

Needs the Debian packages in scripts/system-deps.sh (xvfb trayer dunst dbus-x11 xdotool
x11-utils imagemagick + Qt's xcb libraries); the fixture skips the test, naming what is
missing, when they are not installed.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers.waiting import wait_for

TOOLS = (
    "Xvfb",
    "dbus-daemon",
    "dbus-monitor",
    "dbus-send",
    "trayer",
    "dunst",
    "xdotool",
    "xwininfo",
    "xprop",
    "import",
    "convert",
)
SCREEN = "1280x800x24"
REPO = Path(__file__).resolve().parents[2]


# Read when the tests are collected: tests/conftest.py removes every VIGIA_* variable
# before each test runs.
CHOSEN_SCREENSHOT_DIR = os.environ.get("VIGIA_SCREENSHOT_DIR")


def screenshot_dir() -> Path:
    """Where the tests save their screenshots: ``$VIGIA_SCREENSHOT_DIR`` or
    ``.work/screenshots`` in the repository (ignored by git)."""
    chosen = CHOSEN_SCREENSHOT_DIR
    path = Path(chosen) if chosen else REPO / ".work" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Window:
    id: str
    x: int
    y: int
    width: int
    height: int

    @property
    def centre(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2


@dataclass
class Notification:
    app: str
    summary: str
    body: str


@dataclass
class DesktopSession:
    base: Path
    env: dict[str, str] = field(default_factory=dict)
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    @property
    def display(self) -> str:
        return self.env["DISPLAY"]

    @property
    def notify_log(self) -> Path:
        return self.base / "dbus-monitor.log"

    # -- running things in the session -----------------------------------------------
    def start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        with (self.base / f"{name}.log").open("wb") as log:
            proc = subprocess.Popen(
                args,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append((name, proc))
        return proc

    def run(self, *args: str, check: bool = True, timeout: float = 20) -> str:
        done = subprocess.run(
            args, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and done.returncode != 0:
            raise AssertionError(f"{args} failed ({done.returncode}): {done.stderr}")
        return done.stdout

    def stop(self) -> None:
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)
            if proc.stdout is not None:
                proc.stdout.close()
        self.procs.clear()

    # -- windows -------------------------------------------------------------------------
    def geometry(self, window_id: str) -> Window:
        out = self.run("xwininfo", "-id", window_id)
        value = {
            k: int(v)
            for k, v in re.findall(r"(Absolute upper-left [XY]|Width|Height):\s+(-?\d+)", out)
        }
        return Window(
            window_id,
            value["Absolute upper-left X"],
            value["Absolute upper-left Y"],
            value["Width"],
            value["Height"],
        )

    def window_class(self, window_id: str) -> str:
        return self.run("xprop", "-id", window_id, "WM_CLASS", check=False)

    def descendants(self, window_id: str) -> list[str]:
        out = self.run("xwininfo", "-tree", "-id", window_id)
        ids = re.findall(r"^\s+(0x[0-9a-f]+)", out, flags=re.MULTILINE)
        return [i for i in ids if i != window_id]

    def tray_panel(self) -> str:
        found = self.run("xdotool", "search", "--name", "^panel$", check=False).split()
        panels = [w for w in found if "trayer" in self.window_class(w)]
        assert panels, "trayer's panel window is not there"
        return panels[0]

    def tray_icons(self, app_class: str = "Vigia") -> list[Window]:
        """The XEmbed icons docked in trayer's panel that belong to ``app_class``."""
        panel = self.tray_panel()
        icons = []
        for child in self.descendants(panel):
            if f'"{app_class}"' in self.window_class(child):
                window = self.geometry(child)
                if window.width > 1 and window.height > 1:
                    icons.append(window)
        return icons

    def visible_windows(self, name: str) -> list[str]:
        return self.run("xdotool", "search", "--onlyvisible", "--name", name, check=False).split()

    def close_window(self, window_id: str) -> None:
        """Ask a window to close the way a window manager's close button does: a
        WM_DELETE_WINDOW message (the program closes it itself). This desktop has no
        window manager, and ``xdotool windowclose`` destroys the window behind its
        program's back."""
        _send_delete_window(self.display, int(window_id, 0))

    # -- pictures ------------------------------------------------------------------------
    def screenshot(self, path: Path, window: str = "root", crop: str | None = None) -> Path:
        args = ["import", "-window", window]
        if crop:
            args += ["-crop", crop, "+repage"]
        self.run(*args, str(path))
        return path

    def picture_digest(self, window_id: str) -> str:
        """A hash of a window's pixels as shown now."""
        done = subprocess.run(
            ["import", "-window", window_id, "-depth", "8", "rgb:-"],
            env=self.env,
            capture_output=True,
            timeout=20,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"import of {window_id} failed: {done.stderr!r}")
        return hashlib.sha256(done.stdout).hexdigest()

    def settle(self, window_id: str, quiet: float = 2.0, timeout: float = 30) -> bool:
        """Wait until a window's picture has not changed for ``quiet`` seconds (it has
        loaded what it shows); False when it still changed after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        last, since = self.picture_digest(window_id), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.25)
            now = self.picture_digest(window_id)
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return True
        return False

    def pixels(self, window_id: str) -> list[tuple[int, int, int]]:
        """Every pixel of a window as (r, g, b), 8 bits each."""
        shot = self.base / f"pixels-{window_id}.png"
        self.screenshot(shot, window_id)
        text = self.run("convert", str(shot), "-depth", "8", "txt:-")
        return [
            (int(r), int(g), int(b))
            for r, g, b in re.findall(r"\((\d+),(\d+),(\d+)(?:,\d+)?\)", text)
        ]

    # -- notifications -------------------------------------------------------------------
    def notifications(self) -> list[Notification]:
        """Every Notify call seen on the bus, oldest first."""
        try:
            text = self.notify_log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        found = []
        for call in text.split("method call")[1:]:
            if "member=Notify" not in call:
                continue
            strings = re.findall(r'^\s+string "(.*)"$', call, flags=re.MULTILINE)
            if len(strings) >= 4:  # app name, icon, summary, body (then hints' keys)
                found.append(Notification(strings[0], strings[2], strings[3]))
        return found

    def toast_windows(self) -> list[str]:
        """dunst's visible notification windows (a toast is on the bus before it is drawn)."""
        return self.run(
            "xdotool", "search", "--onlyvisible", "--class", "^dunst$", check=False
        ).split()

    def dunst_history(self) -> str:
        return self.run("dunstctl", "history", check=False)


class _ClientMessage(ctypes.Structure):
    _fields_ = (
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    )


class _XEvent(ctypes.Union):
    _fields_ = (("client", _ClientMessage), ("pad", ctypes.c_long * 24))


def _send_delete_window(display: str, window: int) -> None:
    """What a window manager sends when the close button is clicked (ICCCM 4.2.8.1)."""
    x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = (ctypes.c_char_p,)
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int)
    x11.XSendEvent.argtypes = (
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_long,
        ctypes.POINTER(_XEvent),
    )
    x11.XFlush.argtypes = (ctypes.c_void_p,)
    x11.XCloseDisplay.argtypes = (ctypes.c_void_p,)
    connection = x11.XOpenDisplay(display.encode())
    assert connection, f"cannot open the display {display}"
    try:
        event = _XEvent()
        message = event.client
        message.type = 33  # ClientMessage
        message.window = window
        message.message_type = x11.XInternAtom(connection, b"WM_PROTOCOLS", 0)
        message.format = 32
        message.data[0] = x11.XInternAtom(connection, b"WM_DELETE_WINDOW", 0)
        message.data[1] = 0  # CurrentTime
        assert x11.XSendEvent(connection, window, 0, 0, ctypes.byref(event)), "XSendEvent"
        x11.XFlush(connection)
    finally:
        x11.XCloseDisplay(connection)


def _missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def _start_xvfb(session: DesktopSession) -> None:
    read, write = os.pipe()
    with (session.base / "Xvfb.log").open("wb") as log:
        proc = subprocess.Popen(
            [
                "Xvfb",
                "-displayfd",
                str(write),
                "-screen",
                "0",
                SCREEN,
                "-nolisten",
                "tcp",
                "-noreset",
            ],
            pass_fds=(write,),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    os.close(write)
    session.procs.append(("Xvfb", proc))
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()  # Xvfb picks a free display and writes it here
    assert number.isdigit(), f"Xvfb did not start: {(session.base / 'Xvfb.log').read_text()}"
    session.env["DISPLAY"] = f":{number}"


def _start_dbus(session: DesktopSession) -> None:
    proc = subprocess.Popen(
        [
            "dbus-daemon",
            "--session",
            "--nofork",
            "--print-address=1",
            f"--address=unix:path={session.base / 'bus'}",
        ],
        env=session.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    session.procs.append(("dbus-daemon", proc))
    assert proc.stdout is not None
    address = proc.stdout.readline().decode().strip()
    assert address, "dbus-daemon did not start"
    session.env["DBUS_SESSION_BUS_ADDRESS"] = address


def _name_has_owner(session: DesktopSession, name: str) -> bool:
    out = session.run(
        "dbus-send",
        "--session",
        "--dest=org.freedesktop.DBus",
        "--print-reply",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus.NameHasOwner",
        f"string:{name}",
        check=False,
    )
    return "boolean true" in out


@contextlib.contextmanager
def desktop_session(base: Path) -> Iterator[DesktopSession]:
    missing = _missing_tools()
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (bash scripts/system-deps.sh installs them)")
    base.mkdir(parents=True, exist_ok=True)
    runtime = base / "runtime"
    runtime.mkdir(mode=0o700)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VIGIA_", "QT_", "XDG_", "DBUS_", "WAYLAND_"))
        and k not in ("DISPLAY", "TMPDIR")
    }
    # Everything the desktop programs and Qt write goes under the temp dir.
    home = base / "user-home"
    env.update(
        HOME=str(home),
        TMPDIR=str(base / "tmp"),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
    )
    for directory in (home, base / "tmp"):
        directory.mkdir(parents=True, exist_ok=True)
    session = DesktopSession(base, env)
    try:
        _start_xvfb(session)
        _start_dbus(session)
        session.start(
            "dbus-monitor",
            [
                "dbus-monitor",
                "--session",
                "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
            ],
        )
        session.start(
            "trayer",
            [
                "trayer",
                "--edge",
                "top",
                "--align",
                "right",
                "--widthtype",
                "pixel",
                "--width",
                "240",
                "--height",
                "32",
                "--SetDockType",
                "true",
            ],
        )
        session.start("dunst", ["dunst"])
        wait_for(lambda: session.visible_windows("^panel$"), 10, "trayer's panel")
        wait_for(
            lambda: _name_has_owner(session, "org.freedesktop.Notifications"),
            10,
            "dunst on the session bus",
        )
        yield session
    finally:
        session.stop()
