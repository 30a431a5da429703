"""What several commands share: settings from flags, logging."""

from __future__ import annotations

import argparse

from embedded_backend.config import Settings, load_settings
from embedded_backend.logs import configure_logging


def settings_from(args: argparse.Namespace, **extra: object) -> Settings:
    return load_settings(home=getattr(args, "home", None), **extra)


def setup_logging(settings: Settings, console: bool = True) -> None:
    configure_logging(
        settings.paths.backend_log, settings.log_level, console=console and settings.log_console
    )
