"""Everything one app instance owns; a fresh one per ``create_app`` call."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from embedded_backend.backup.jobs import JobManager
from embedded_backend.cache import CacheFront
from embedded_backend.config import Settings
from embedded_backend.db.database import Database
from embedded_backend.db.gate import Maintenance
from embedded_backend.principals import PrincipalCache
from embedded_backend.routers.registry import RouterRegistry
from embedded_backend.secrets import Secrets
from embedded_backend.throttle import MovingWindow


@dataclass
class DatabaseStatus:
    reachable: bool = False
    migrated: bool = False
    revision: str | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None

    def failed(self, reason: str) -> None:
        self.reachable = False
        self.last_error = reason
        self.last_error_at = datetime.now(UTC)


class BackgroundService(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class AppState:
    settings: Settings
    secrets: Secrets
    db: Database
    routers: RouterRegistry
    principals: PrincipalCache
    # The read cache (embedded_backend/cache/); its counters are bound by create_app.
    cache: CacheFront
    started_monotonic: float = field(default_factory=time.monotonic)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    startup_complete: bool = False
    stopping: bool = False
    db_status: DatabaseStatus = field(default_factory=DatabaseStatus)
    # Set by the server runner so the admin API can ask for a restart.
    request_restart: Callable[[str], bool] | None = None
    # Failed logins per username (set by middleware/protection.py; None = no limit).
    login_failures: MovingWindow | None = None
    # Background services the lifespan starts after startup and stops before the engine
    # is disposed (in reverse order), e.g. the metrics sampler.
    services: list[BackgroundService] = field(default_factory=list)
    # Backup jobs of the admin API (create, verify, restore) in worker threads.
    backup_jobs: JobManager = field(default_factory=JobManager)

    def __post_init__(self) -> None:
        # First in the list, so stopped last: shutdown waits for a running restore
        # before the engine is disposed.
        self.services.insert(0, self.backup_jobs)

    @property
    def maintenance(self) -> Maintenance | None:
        """Set while a backup is being restored (writes refused; see db/gate.py)."""
        return self.db.gate.maintenance

    @property
    def uptime_s(self) -> float:
        return time.monotonic() - self.started_monotonic

    @property
    def ready(self) -> bool:
        return self.startup_complete and self.db_status.migrated and not self.stopping
