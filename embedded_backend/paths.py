"""Every file location Vigia uses, derived from one base directory (``VIGIA_HOME``).

Tests and tools pass a temporary base directory, so nothing touches a real user's folders.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "Vigia"


def default_home() -> Path:
    """The per-user data directory used when ``VIGIA_HOME`` is not set."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))


@dataclass(frozen=True)
class Paths:
    home: Path

    @property
    def config_file(self) -> Path:
        return self.home / "vigia.toml"

    @property
    def database(self) -> Path:
        return self.home / "vigia.db"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def backend_log(self) -> Path:
        return self.logs / "backend.jsonl"

    @property
    def backups(self) -> Path:
        return self.home / "backups"

    @property
    def run_file(self) -> Path:
        """Where a running server publishes its pid, host and real port (no secrets)."""
        return self.home / "vigia.run.json"

    def ensure(self) -> None:
        """Create the directories Vigia writes to (``home``, ``logs``, ``backups``)."""
        for directory in (self.home, self.logs, self.backups):
            directory.mkdir(parents=True, exist_ok=True)
