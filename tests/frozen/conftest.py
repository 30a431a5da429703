"""Fixtures for the frozen (PyInstaller) build of Vigia.

The build is made once per test session by ``build/build.py --reuse`` into
``.work/dist/vigia``: a freeze takes a minute or two of CPU, so a build whose inputs
have not changed (``.work/dist/vigia.stamp``) is reused. The frozen executables run from
a temp directory with a temp ``VIGIA_HOME`` and no ``PYTHONPATH``, so nothing can come
from the source tree: what they import is what the bundle holds.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.e2e.process import REPO
from tests.helpers.live import ADMIN_TOKEN, SECRET_KEY

BUILD = REPO / "build"
WORK = REPO / ".work"
FREEZE_TIMEOUT_S = 1500


def build_module(name: str) -> ModuleType:
    """Import ``build/<name>.py`` (build/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"vigia_build_{name}", BUILD / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while executing
    spec.loader.exec_module(module)
    return module


def frozen_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a frozen child: ours minus VIGIA_*, PYTHON* and Qt's, plus a temp
    home and secrets; the keyring is the 'fail' backend unless a test says otherwise."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VIGIA_", "PYTHON", "QT_")) and k != "VIRTUAL_ENV"
    }
    env.update(
        VIGIA_HOME=str(home),
        VIGIA_PORT="0",
        VIGIA_ADMIN_TOKEN=ADMIN_TOKEN,
        VIGIA_SECRET_KEY=SECRET_KEY,
        VIGIA_PORT_RETRY_S="0",
        VIGIA_BACKUP_SCHEDULE_ENABLED="false",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    env.update(extra)
    return {k: v for k, v in env.items() if v != ""}


@pytest.fixture(scope="session")
def frozen_app() -> Path:
    """The onedir build (``.work/dist/vigia``), frozen at most once per session."""
    done = subprocess.run(
        [sys.executable, str(BUILD / "build.py"), "--reuse", "--no-smoke", "--no-installer"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=FREEZE_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"build/build.py failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    onedir = WORK / "dist" / "vigia"
    assert (onedir / "vigia").is_file(), done.stdout
    return onedir


@pytest.fixture
def vigia_exe(frozen_app: Path) -> Path:
    return frozen_app / "vigia"


@pytest.fixture
def outside(tmp_path: Path) -> Iterator[Path]:
    """A working directory away from the repository (the frozen app must not need it)."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    yield cwd
