"""Start the tray at login, for this user only (no administrator rights needed).

- Windows: the value ``Vigia`` under ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``
  holds the command line.
- Linux (and other XDG desktops): ``$XDG_CONFIG_HOME/autostart/vigia.desktop``
  (``~/.config/autostart`` by default), a Desktop Entry file.

Elsewhere (macOS) :attr:`Autostart.supported` is False and the setting is not offered.
The command is :func:`tray_command`: the installed executable when Vigia is frozen
(PyInstaller), else this Python running ``embedded_backend.cli.main tray`` (with
``pythonw.exe`` on Windows, so no console window opens), plus ``--home`` when the tray
uses a data folder other than the default and ``--url`` in remote mode.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Protocol

from embedded_backend.paths import default_home

APP_NAME = "Vigia"
DESKTOP_FILE = "vigia.desktop"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def tray_command(home: Path | None = None, url: str | None = None) -> list[str]:
    if getattr(sys, "frozen", False):
        # The Windows build has a windowed Vigia.exe beside the console vigia-cli.exe: login
        # must start the windowed one, whichever of the two is asking.
        executable = Path(sys.executable)
        windowed = executable.with_name("Vigia.exe")
        if executable.name.lower() == "vigia-cli.exe" and windowed.exists():
            executable = windowed
        command = [str(executable)]
    else:
        python = Path(sys.executable)
        if sys.platform == "win32" and python.name.lower() == "python.exe":
            windowless = python.with_name("pythonw.exe")
            python = windowless if windowless.exists() else python
        command = [str(python), "-m", "embedded_backend.cli.main"]
    if home is not None and home.expanduser().resolve() != default_home().resolve():
        command += ["--home", str(home)]
    command.append("tray")
    if url:
        command += ["--url", url]
    return command


class RegistryValues(Protocol):
    """The per-user Run key: one string value per program."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...


class WindowsRunKey:  # pragma: no cover - exercised on Windows only
    def get(self, name: str) -> str | None:
        if sys.platform != "win32":
            return None
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _kind = winreg.QueryValueEx(key, name)
        except FileNotFoundError:
            return None
        return str(value)

    def set(self, name: str, value: str) -> None:
        if sys.platform != "win32":
            raise OSError("the Windows registry exists only on Windows")
        import winreg

        with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
            winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)

    def delete(self, name: str) -> None:
        if sys.platform != "win32":
            return
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, name)
        except FileNotFoundError:
            pass


def xdg_autostart_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME")
    config = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return config / "autostart"


def desktop_exec(command: list[str]) -> str:
    """The ``Exec`` value for ``command`` (Desktop Entry rules: arguments with reserved
    characters in double quotes, ``"`$\\`` escaped inside, ``%`` doubled)."""
    reserved = set(" \t\n\"'\\><~|&;$*?#()`")
    parts = []
    for arg in command:
        arg = arg.replace("%", "%%")
        if arg and not reserved & set(arg):
            parts.append(arg)
        else:
            escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
            parts.append(f'"{escaped}"')
    return " ".join(parts)


class Autostart:
    def __init__(
        self,
        command: list[str],
        *,
        platform: str = sys.platform,
        registry: RegistryValues | None = None,
        autostart_dir: Path | None = None,
    ) -> None:
        self.command = command
        self.platform = platform
        self.registry = registry or WindowsRunKey()
        self._dir = autostart_dir

    @property
    def supported(self) -> bool:
        return self.platform == "win32" or self.platform.startswith(("linux", "freebsd"))

    @property
    def desktop_file(self) -> Path:
        return (self._dir or xdg_autostart_dir()) / DESKTOP_FILE

    def is_enabled(self) -> bool:
        if self.platform == "win32":
            return self.registry.get(APP_NAME) is not None
        if not self.supported:
            return False
        try:
            text = self.desktop_file.read_text(encoding="utf-8")
        except OSError:
            return False
        lines = {line.strip().lower() for line in text.splitlines()}
        return "hidden=true" not in lines and "x-gnome-autostart-enabled=false" not in lines

    def set_enabled(self, enabled: bool) -> None:
        """Turn starting at login on or off; OSError when it cannot be written."""
        if self.platform == "win32":
            if enabled:
                self.registry.set(APP_NAME, subprocess.list2cmdline(self.command))
            else:
                self.registry.delete(APP_NAME)
            return
        if not self.supported:
            raise OSError(f"starting at login is not supported on {self.platform}")
        if not enabled:
            self.desktop_file.unlink(missing_ok=True)
            return
        self.desktop_file.parent.mkdir(parents=True, exist_ok=True)
        scratch = self.desktop_file.with_name(f".{DESKTOP_FILE}.tmp")
        scratch.write_text(self.desktop_entry(), encoding="utf-8")
        scratch.replace(self.desktop_file)

    def desktop_entry(self) -> str:
        return (
            "[Desktop Entry]\n"
            "Type=Application\n"
            f"Name={APP_NAME}\n"
            "Comment=Keeps the ERP server running and says when it is not\n"
            "Comment[pt_BR]=Mantém o servidor do ERP funcionando e avisa quando não está\n"
            f"Exec={desktop_exec(self.command)}\n"
            "Icon=vigia\n"
            "Terminal=false\n"
            "X-GNOME-Autostart-enabled=true\n"
        )
