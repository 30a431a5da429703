"""Start at login: the XDG autostart file on Linux (a temp XDG_CONFIG_HOME) and the
Windows Run value through a dict-backed stand-in of the registry."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.core.autostart import APP_NAME, Autostart, desktop_exec, tray_command


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


def test_linux_desktop_file_on_and_off(xdg: Path) -> None:
    command = ["/opt/Vigia App/python", "-m", "embedded_backend.cli.main", "tray"]
    autostart = Autostart(command, platform="linux")
    assert autostart.supported and not autostart.is_enabled()
    autostart.set_enabled(True)
    path = xdg / "autostart" / "vigia.desktop"
    assert autostart.desktop_file == path and autostart.is_enabled()
    entry = dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines()[1:])
    assert entry["Type"] == "Application" and entry["Name"] == "Vigia"
    assert entry["Terminal"] == "false"
    assert shlex.split(entry["Exec"]) == command
    autostart.set_enabled(False)
    assert not path.exists() and not autostart.is_enabled()
    autostart.set_enabled(False)  # already off: fine


def test_a_disabled_entry_is_off(xdg: Path) -> None:
    autostart = Autostart(["vigia"], platform="linux")
    autostart.set_enabled(True)
    text = autostart.desktop_file.read_text(encoding="utf-8")
    autostart.desktop_file.write_text(text + "Hidden=true\n", encoding="utf-8")
    assert not autostart.is_enabled()


def test_default_config_home_when_unset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert Autostart(["vigia"], platform="linux").desktop_file == (
        tmp_path / ".config" / "autostart" / "vigia.desktop"
    )


def test_exec_quoting() -> None:
    assert desktop_exec(["/usr/bin/vigia", "tray"]) == "/usr/bin/vigia tray"
    assert desktop_exec(["/a b/py", 'x"$`\\', "50%"]) == '"/a b/py" "x\\"\\$\\`\\\\" 50%%'


class DictRegistry:
    """The per-user Run key, as a dict (what winreg would hold)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def test_windows_run_value() -> None:
    registry = DictRegistry()
    command = [r"C:\Program Files\Vigia\Vigia.exe", "tray"]
    autostart = Autostart(command, platform="win32", registry=registry)
    assert autostart.supported and not autostart.is_enabled()
    autostart.set_enabled(True)
    assert registry.values == {APP_NAME: '"C:\\Program Files\\Vigia\\Vigia.exe" tray'}
    assert autostart.is_enabled()
    autostart.set_enabled(False)
    assert registry.values == {} and not autostart.is_enabled()


def test_unsupported_platform() -> None:
    autostart = Autostart(["vigia"], platform="darwin")
    assert not autostart.supported and not autostart.is_enabled()
    with pytest.raises(OSError, match="not supported"):
        autostart.set_enabled(True)


def test_tray_command(tmp_path: Path) -> None:
    default = tray_command()
    assert default[0] == sys.executable and default[-1] == "tray"
    assert default[1:3] == ["-m", "embedded_backend.cli.main"]
    other = tray_command(tmp_path / "data", url="http://erp:8002")
    assert other[-5:] == ["--home", str(tmp_path / "data"), "tray", "--url", "http://erp:8002"]
    # The command really starts Vigia's CLI (asked for its version, not the tray).
    version = subprocess.run(
        [*default[:-1], "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    assert version.stdout.startswith("vigia ")


@pytest.mark.parametrize(
    ("asking", "expected"), [("vigia-cli.exe", "Vigia.exe"), ("Vigia.exe", "Vigia.exe")]
)
def test_a_frozen_build_starts_the_windowed_exe_at_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, asking: str, expected: str
) -> None:
    # The Windows bundle: Vigia.exe (windowed) and vigia-cli.exe (console) side by side.
    for name in ("Vigia.exe", "vigia-cli.exe"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / asking))
    command = tray_command()
    assert command[0] == str(tmp_path / expected)
    assert command[-1] == "tray"
