"""The core built and wired for the tray: supervisor, health poller, history and alerts.

The UI layer makes one :class:`Monitor` (``Monitor.embedded(settings)`` or
``Monitor.remote(url, token, home)``), connects to its parts' signals, calls
:meth:`Monitor.start`, and :meth:`Monitor.shutdown` on quit, logoff or shutdown::

    supervisor.state_changed  Transition   (supervisor thread)  icon colour, tooltip
    supervisor.request_failed str          (supervisor thread)  remote restart refused
    poller.sample_taken       Sample       (poller thread)      live graphs, dashboard
    alerts.toast_requested    Notice       (poller or supervisor thread)
    alerts.changed            AlertRecord  (poller or supervisor thread)  alert list

Wiring done here: every sample goes to the supervisor (hang detection, running vs
degraded), the alert center and the history store; transitions go to the alert center;
alert changes to the history store; when the backend starts listening the poller polls
at once instead of waiting for its next turn.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from desktop.core.alert_rules import Translate, identity
from desktop.core.alerts import AlertCenter
from desktop.core.config import DesktopConfig
from desktop.core.history import HistoryStore
from desktop.core.poller import HealthPoller
from desktop.core.remote import RemoteBackend
from desktop.core.restart_policy import RestartPolicy
from desktop.core.supervisor import Supervisor
from embedded_backend.config import Settings
from embedded_backend.server import ServerRunner

log = logging.getLogger(__name__)


class Monitor:
    def __init__(
        self,
        supervisor: Supervisor,
        poller: HealthPoller,
        alerts: AlertCenter,
        history: HistoryStore | None = None,
    ) -> None:
        self.supervisor = supervisor
        self.poller = poller
        self.alerts = alerts
        self.history = history
        self._stopped: bool | None = None  # set by shutdown
        self._shutdown_lock = threading.Lock()
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.poller.sample_taken.connect(self.supervisor.on_sample)
        self.poller.sample_taken.connect(self.alerts.on_sample)
        self.poller.alerts_fetched.connect(self.alerts.on_backend_alerts)
        self.supervisor.state_changed.connect(self.alerts.on_transition)
        self.supervisor.listening_started.connect(self.on_supervisor_listening_started)
        if self.history is not None:
            self.poller.sample_taken.connect(self.history.add)
            self.alerts.changed.connect(self.history.save_alert)

    def on_supervisor_listening_started(self, url: str) -> None:
        self.poller.poll_now()

    @classmethod
    def embedded(
        cls,
        settings: Settings,
        config: DesktopConfig | None = None,
        *,
        tr: Translate = identity,
        policy: RestartPolicy | None = None,
        runner: ServerRunner | None = None,
    ) -> Monitor:
        """The backend runs in this process, supervised (the default tray mode)."""
        config = config or DesktopConfig()
        runner = runner or ServerRunner(settings)
        supervisor = Supervisor(runner, config=config, policy=policy)
        poller = HealthPoller(lambda: supervisor.url, config, token=_token_of(runner))
        alerts = AlertCenter(config, tr=tr, url=lambda: supervisor.url)
        return cls(supervisor, poller, alerts, HistoryStore.in_home(settings.home))

    @classmethod
    def remote(
        cls,
        url: str,
        token: str | None,
        home: Path,
        config: DesktopConfig | None = None,
        *,
        tr: Translate = identity,
    ) -> Monitor:
        """Watch a backend on another machine (``vigia tray --url``); ``home`` holds this
        desk's history."""
        config = config or DesktopConfig()
        backend = RemoteBackend(url, token)
        supervisor = Supervisor(remote=backend, config=config)
        poller = HealthPoller(lambda: backend.url, config, token=lambda: token)
        alerts = AlertCenter(config, tr=tr, url=lambda: backend.url)
        return cls(supervisor, poller, alerts, HistoryStore.in_home(home))

    def start(self) -> None:
        if self.history is not None:
            self.alerts.load_history(self.history.alerts())
        self.poller.start()
        self.supervisor.start()

    def configure(self, config: DesktopConfig) -> None:
        """Apply changed desktop settings (polling from the next poll)."""
        self.supervisor.config = config
        self.poller.configure(config)
        self.alerts.configure(config)

    def shutdown(self, timeout_s: float | None = None) -> bool:
        """Quit, logoff or shutdown: stop the backend gracefully (in-flight requests
        finish, the database is closed), then the poller, then write the history.
        Blocks; True if the backend stopped within the deadline. Calling it again
        returns the first answer."""
        with self._shutdown_lock:
            if self._stopped is not None:
                return self._stopped
            stopped = self._stopped = self.supervisor.shutdown(timeout_s)
            self.poller.close()
            self.alerts.close()
            if self.history is not None:
                self.history.close()
        log.info("monitor stopped%s", "" if stopped else " (the backend did not stop in time)")
        return stopped


def _token_of(runner: ServerRunner) -> Callable[[], str | None]:
    """The embedded backend's admin token, once it has started (it may generate it)."""

    def token() -> str | None:
        state = runner.state
        return state.secrets.admin_token if state is not None else None

    return token
