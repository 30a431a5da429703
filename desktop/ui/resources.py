"""Where the tray's files are: ``resources/`` (icons, translations) next to the packages
in a source checkout, or unpacked beside the executable in a PyInstaller build."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:  # pragma: no cover - PyInstaller only
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def translations_dir() -> Path:
    return resources_dir() / "translations"


def icons_dir() -> Path:
    return resources_dir() / "icons"
