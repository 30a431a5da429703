"""Where the tray keeps its own settings: ``$VIGIA_HOME/desktop.json``.

The file holds two things, both optional::

    {"monitor": {...DesktopConfig.as_dict()...}, "language": "pt_BR"}

``language`` overrides the system locale for the UI text (``"en"``, ``"pt_BR"``; absent
or null = follow the system). A file that cannot be read is logged and the defaults are
used: the tray must start even when its settings are broken. Writes go to a temporary
file that replaces the old one, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.core.config import DesktopConfig
from desktop.core.errors import ConfigError

log = logging.getLogger(__name__)

FILE_NAME = "desktop.json"


@dataclass(frozen=True)
class DesktopSettings:
    monitor: DesktopConfig = field(default_factory=DesktopConfig)
    language: str | None = None  # None = the system locale


def path_in(home: Path) -> Path:
    return home / FILE_NAME


def load(home: Path) -> DesktopSettings:
    """The settings saved in ``home``, or the defaults (logged) if they cannot be used."""
    path = path_in(home)
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return DesktopSettings()
    except (OSError, ValueError) as exc:
        log.warning("cannot read the tray settings %s (%s); using the defaults", path, exc)
        return DesktopSettings()
    if not isinstance(raw, dict):
        log.warning("the tray settings %s are not a JSON object; using the defaults", path)
        return DesktopSettings()
    language = raw.get("language")
    if language is not None and not isinstance(language, str):
        log.warning("ignoring the language %r in %s", language, path)
        language = None
    monitor = raw.get("monitor") or {}
    try:
        config = DesktopConfig.from_dict(monitor if isinstance(monitor, dict) else {})
    except ConfigError as exc:
        log.warning("the tray settings %s have a bad value (%s); using the defaults", path, exc)
        config = DesktopConfig()
    return DesktopSettings(config, language or None)


def save(home: Path, settings: DesktopSettings) -> None:
    """Write the settings atomically; OSError if the folder is not writable."""
    path = path_in(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {"monitor": settings.monitor.as_dict()}
    if settings.language:
        data["language"] = settings.language
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    scratch.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    scratch.replace(path)
