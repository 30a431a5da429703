"""build/installer.nsi compiles with ``makensis -WX`` (every warning an error).

It runs against a stand-in of the Windows onedir (empty Vigia.exe, vigia-cli.exe,
_internal/): a real Windows installer needs the Windows build, which only Windows can
freeze (.github/workflows/windows-installer.yml). What the installer does when it runs
is Windows-only and not checked here (README "Build the installer").
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.frozen.conftest import BUILD

NSI = BUILD / "installer.nsi"


def makensis() -> str:
    path = shutil.which("makensis")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("makensis is missing on CI (Debian package 'nsis')")
        pytest.skip("makensis not installed (Debian package 'nsis')")
    return path


def windows_onedir(base: Path) -> Path:
    onedir = base / "vigia"
    (onedir / "_internal" / "PySide6").mkdir(parents=True)
    for name in (
        "Vigia.exe",
        "vigia-cli.exe",
        "_internal/python311.dll",
        "_internal/PySide6/Qt6Core.dll",
    ):
        (onedir / name).write_bytes(b"MZ stand-in\n")
    return onedir


def compile_installer(*defines: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [makensis(), "-WX", "-V2", *defines, str(NSI)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_installer_compiles_with_the_documented_command(tmp_path: Path) -> None:
    """Only DIST_DIR and OUT_FILE, as in README: the version comes from pyproject.toml."""
    out = tmp_path / "Vigia-Setup.exe"
    done = compile_installer(f"-DDIST_DIR={windows_onedir(tmp_path)}", f"-DOUT_FILE={out}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.read_bytes()[:2] == b"MZ"  # a Windows executable


def test_installer_compiles_with_the_version_build_py_passes(tmp_path: Path) -> None:
    out = tmp_path / "Vigia-Setup-2.1.0rc1.exe"
    done = compile_installer(
        f"-DDIST_DIR={windows_onedir(tmp_path)}",
        f"-DOUT_FILE={out}",
        "-DVERSION=2.1.0rc1",
        "-DVERSION_QUAD=2.1.0.0",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.exists()


def test_installer_refuses_a_folder_that_is_not_a_windows_build(tmp_path: Path) -> None:
    linux_like = tmp_path / "vigia"
    (linux_like / "_internal").mkdir(parents=True)
    (linux_like / "vigia").write_bytes(b"\x7fELF")
    done = compile_installer(f"-DDIST_DIR={linux_like}", f"-DOUT_FILE={tmp_path / 'x.exe'}")
    assert done.returncode != 0
    assert "Vigia.exe is missing" in done.stdout + done.stderr


def test_installer_and_uninstaller_go_through_the_signing_command(tmp_path: Path) -> None:
    """-DSIGN_COMMAND runs once on the uninstaller, then on the installer (a recording
    script stands in for signtool, which exists only on Windows)."""
    record = tmp_path / "signed.txt"
    signer = tmp_path / "sign.sh"
    signer.write_text(f'#!/bin/sh\necho "$1" >> "{record}"\n', encoding="utf-8")
    signer.chmod(0o755)
    out = tmp_path / "Vigia-Setup.exe"
    done = compile_installer(
        f"-DDIST_DIR={windows_onedir(tmp_path)}", f"-DOUT_FILE={out}", f"-DSIGN_COMMAND={signer}"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    signed = record.read_text(encoding="utf-8").splitlines()
    assert len(signed) == 2
    assert signed[1] == str(out)  # the installer last, after the uninstaller inside it
    assert signed[0] != str(out)
