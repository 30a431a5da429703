"""``vigia tray``: the tray application.

:func:`run_tray` makes sure this is the only tray for its data folder (a second launch
hands "show the dashboard" to the first and exits 0), builds the core's
:class:`~desktop.core.monitor.Monitor` (the backend embedded in a thread, or a remote one
watched with ``--url``), bridges it to the GUI thread and runs the Qt event loop. Quit
(menu, SIGINT/SIGTERM, logoff or shutdown) stops the backend gracefully before exit.

Raises :class:`TrayUnavailable` when Qt cannot show a tray here (no display); the command
line then runs the backend without a tray.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication, QSessionManager
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from desktop.core import config_file
from desktop.core.admin_client import AdminClient
from desktop.core.alerts import Notice
from desktop.core.monitor import Monitor
from desktop.core.remote import normalize_url
from desktop.core.supervisor import Transition
from desktop.ui import i18n
from desktop.ui.actions import WindowActions
from desktop.ui.bridge import CoreBridge
from desktop.ui.context import UiContext
from desktop.ui.icons import app_icon
from desktop.ui.notify import Notifier
from desktop.ui.single import SingleInstance, send_command
from desktop.ui.status import Action, TrayStatus, describe
from desktop.ui.tray import TrayIcon
from embedded_backend.errors import Error as BackendError
from embedded_backend.paths import default_home

if TYPE_CHECKING:
    from desktop.ui.dashboard.window import DashboardWindow
    from embedded_backend.config import Settings

log = logging.getLogger(__name__)


class TrayUnavailable(Exception):
    """Qt cannot show a tray here; the message says why (for a one-line note)."""


def display_problem() -> str | None:
    """Why no window can be shown here, or None if one can (or we cannot tell).

    Asked before Qt starts, because Qt aborts the process when it cannot open the
    display (a DISPLAY left over in an SSH session, say)."""
    if os.environ.get("QT_QPA_PLATFORM") or not (
        sys.platform.startswith("linux") or "bsd" in sys.platform
    ):
        return None
    if os.environ.get("WAYLAND_DISPLAY"):
        return None
    display = os.environ.get("DISPLAY")
    if not display:
        return "no graphical display (DISPLAY is not set)"
    local = re.fullmatch(r"(?:unix)?:(\d+)(?:\.\d+)?", display)
    if local is not None and not _x_server_answers(int(local.group(1))):
        return f"no X server answers on display {display}"
    return None


def _x_server_answers(number: int) -> bool:
    """A local X server listens on display ``number`` (its Unix socket, file or abstract)."""
    for address in (f"/tmp/.X11-unix/X{number}", f"\0/tmp/.X11-unix/X{number}"):  # noqa: S108
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(2)
            try:
                probe.connect(address)
            except OSError:
                continue
            return True
    return False


class TrayApp(QObject):
    """The running tray: icon, toasts, dashboard, menu actions, single-instance channel."""

    status_changed = Signal(object)  # TrayStatus
    dashboard_opened = Signal()

    def __init__(
        self,
        ctx: UiContext,
        *,
        remote_url: str | None = None,
        instance: SingleInstance | None = None,
        notifier: Notifier | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.remote_url = remote_url
        self.instance = instance
        self.bridge = CoreBridge(self)
        self.tray = TrayIcon(self)
        self.notifier = notifier or Notifier(self.tray.icon, self)
        self.actions = WindowActions(ctx, self)
        self.dashboard: DashboardWindow | None = None
        self.status: TrayStatus | None = None
        self._closed = False
        self.bridge.attach(ctx.monitor)
        self._connect_signals()
        self.update_status()

    def _connect_signals(self) -> None:
        self.bridge.state_changed.connect(self.on_core_state_changed)
        self.bridge.sample_taken.connect(self.on_core_sample_taken)
        self.bridge.toast_requested.connect(self.on_alerts_toast_requested)
        self.bridge.request_failed.connect(self.on_supervisor_request_failed)
        self.tray.dashboard_requested.connect(self.open_dashboard)
        self.tray.restart_requested.connect(self.restart_backend)
        self.tray.logs_requested.connect(self.actions.open_logs)
        self.tray.backup_now_requested.connect(self.actions.back_up_now)
        self.tray.backups_requested.connect(self.actions.open_backups)
        self.tray.settings_requested.connect(self.actions.open_settings)
        self.tray.diagnostics_requested.connect(lambda: self.actions.export_diagnostics())
        self.tray.quit_requested.connect(self.quit)
        self.actions.toast.connect(self.notifier.notify)
        self.actions.restart_requested.connect(self.on_actions_restart_requested)
        if self.instance is not None:
            self.instance.command_received.connect(self.on_instance_command_received)

    # -- life ------------------------------------------------------------------------
    def start(self) -> None:
        # Shown even when no tray is there yet (a panel that starts after us at login):
        # Qt adds the icon when one appears. Platforms that never have one (offscreen,
        # minimal) are not asked.
        if QGuiApplication.platformName() not in ("offscreen", "minimal"):
            self.tray.show()
        if not QSystemTrayIcon.isSystemTrayAvailable():
            log.warning("no system tray is available now; showing the dashboard")
            QTimer.singleShot(0, self.open_dashboard)
        self.ctx.monitor.start()

    def quit(self) -> None:
        log.info("quit asked from the tray")
        # exit(), not quit(): Qt 6's quit() first asks every window to close and gives
        # up if one refuses, and the dashboard refuses (it hides instead).
        QApplication.exit(0)

    def shutdown(self) -> None:
        """Stop the backend gracefully and let go of everything (idempotent, blocking)."""
        if self._closed:
            return
        self._closed = True
        self.bridge.detach()
        self.actions.close_all()
        if self.dashboard is not None:
            self.dashboard.hide()
        self.tray.close()
        self.notifier.close()
        self.ctx.monitor.shutdown()
        self.ctx.client.close()
        if self.instance is not None:
            self.instance.close()

    # -- status --------------------------------------------------------------------------
    def update_status(self) -> None:
        supervisor = self.ctx.monitor.supervisor
        status = describe(
            supervisor.state,
            supervisor.reason,
            self.ctx.monitor.poller.latest,
            remote_url=self.remote_url,
        )
        if status == self.status:
            return
        self.status = status
        self.tray.show_status(status)
        if self.dashboard is not None:
            self.dashboard.show_status(status)
        self.status_changed.emit(status)

    @Slot(object)
    def on_core_state_changed(self, transition: Transition) -> None:
        self.update_status()

    @Slot(object)
    def on_core_sample_taken(self, _sample: object) -> None:
        self.update_status()

    @Slot(object)
    def on_alerts_toast_requested(self, notice: Notice) -> None:
        severity = notice.severity if notice.kind == "raised" else "info"
        self.notifier.notify(notice.title, notice.text, severity)

    @Slot(str)
    def on_supervisor_request_failed(self, why: str) -> None:
        self.notifier.notify(self.tr("Restart not done"), why, "error")

    # -- actions -------------------------------------------------------------------------
    def open_dashboard(self) -> DashboardWindow:
        if self.dashboard is None:
            from desktop.ui.dashboard.window import DashboardWindow  # loads pyqtgraph

            self.dashboard = DashboardWindow(self.ctx, self.bridge)
            self.dashboard.action_requested.connect(self.on_dashboard_action_requested)
            if self.status is not None:
                self.dashboard.show_status(self.status)
        self.dashboard.present()
        self.dashboard_opened.emit()
        return self.dashboard

    def restart_backend(self, reason: str = "restart asked from the tray") -> None:
        """Restart the backend. An embedded one reads its settings again first, as at
        launch (``vigia.toml`` may have changed: the settings window writes it, and so
        may a person), and the fresh app runs with them; if they cannot be read, nothing
        is restarted and a toast says why."""
        log.info("%s", reason)
        supervisor = self.ctx.monitor.supervisor
        load = self.ctx.load_settings
        if load is None:  # remote: the server reads its own settings
            supervisor.restart(reason)
            return
        try:
            settings = load()
        except BackendError as exc:
            log.warning("restart not done: %s", exc)
            self.notifier.notify(self.tr("Restart not done"), str(exc), "error")
            return
        self.ctx.settings = settings
        supervisor.restart(reason, settings=settings)

    @Slot()
    def on_actions_restart_requested(self) -> None:
        self.restart_backend("restart asked from the settings window, to apply new settings")

    @Slot(str)
    def on_dashboard_action_requested(self, action: str) -> None:
        handlers: dict[str, Callable[[], object]] = {
            Action.RESTART: self.restart_backend,
            Action.LOGS: self.actions.open_logs,
            Action.SETTINGS: self.actions.open_settings,
        }
        handlers[action]()

    @Slot(str)
    def on_instance_command_received(self, command: str) -> None:
        if command == "show":
            self.open_dashboard()
        elif command == "restart":
            self.restart_backend()
        elif command == "quit":
            self.quit()


# -- building it ---------------------------------------------------------------------------
def tray_home(args: argparse.Namespace) -> Path:
    home = getattr(args, "home", None) or os.environ.get("VIGIA_HOME")
    return Path(home).expanduser() if home else default_home()


def _embedded(args: argparse.Namespace, translate: Callable[[str], str]) -> UiContext:
    from embedded_backend.cli.common import settings_from, setup_logging

    def load() -> Settings:
        return settings_from(args)

    settings = load()
    setup_logging(settings, console=sys.stderr is not None)
    return embedded_context(settings, load, translate)


def embedded_context(
    settings: Settings, load: Callable[[], Settings], translate: Callable[[str], str]
) -> UiContext:
    """The backend in this process, supervised, started with ``settings``; ``load``
    reads them again, the same way, for each restart asked from the tray."""
    from embedded_backend.server import ServerRunner

    home = settings.home
    desktop = config_file.load(home)
    runner = ServerRunner(settings)
    monitor = Monitor.embedded(settings, desktop.monitor, tr=translate, runner=runner)

    def token() -> str | None:
        state = runner.state
        return state.secrets.admin_token if state is not None else None

    client = AdminClient(lambda: monitor.supervisor.url, token, tr=translate)
    return UiContext(
        monitor, client, settings, home, remote=False, translate=translate, load_settings=load
    )


def _remote(args: argparse.Namespace, url: str, translate: Callable[[str], str]) -> UiContext:
    from embedded_backend.logs import configure_logging

    home = tray_home(args)
    configure_logging(home / "logs" / "tray.jsonl", "INFO", console=sys.stderr is not None)
    token = getattr(args, "token", None) or os.environ.get("VIGIA_ADMIN_TOKEN") or None
    desktop = config_file.load(home)
    monitor = Monitor.remote(url, token, home, desktop.monitor, tr=translate)
    client = AdminClient(lambda: url, lambda: token, tr=translate)
    return UiContext(monitor, client, None, home, remote=True, translate=translate)


class SignalQuitter:
    """SIGINT/SIGTERM quit the event loop cleanly (aboutToQuit runs, the backend stops).

    Python runs signal handlers only when it gets control, which a C++ event loop does
    not give it: on POSIX Python writes a byte to a socket Qt watches (a wakeup fd), which
    wakes the loop; on Windows a timer lets Python in four times a second."""

    def __init__(self, app: QApplication) -> None:
        self.app = app
        self._previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        self._old_fd = -1
        self._sockets: tuple[socket.socket, socket.socket] | None = None
        self._watch: QSocketNotifier | QTimer
        if sys.platform == "win32":  # pragma: no cover
            self._watch = QTimer(app)
            self._watch.timeout.connect(lambda: None)
            self._watch.start(250)
        else:
            reader, writer = socket.socketpair()
            reader.setblocking(False)
            writer.setblocking(False)
            self._sockets = (reader, writer)
            self._old_fd = signal.set_wakeup_fd(writer.fileno())
            self._watch = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)
            self._watch.activated.connect(self._drain)

    def _on_signal(self, signum: int, _frame: object) -> None:
        log.info("signal %s received; quitting", signal.Signals(signum).name)
        self.app.exit(0)  # not quit(): see TrayApp.quit

    def _drain(self) -> None:
        if self._sockets is not None:
            with contextlib.suppress(OSError):
                self._sockets[0].recv(64)

    def close(self) -> None:
        if isinstance(self._watch, QSocketNotifier):
            self._watch.setEnabled(False)
            signal.set_wakeup_fd(self._old_fd)
        else:  # pragma: no cover
            self._watch.stop()
        if self._sockets is not None:
            for sock in self._sockets:
                sock.close()
            self._sockets = None
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _to_running_tray(home: Path, command: str, say: Callable[[str], None]) -> int:
    from PySide6.QtCore import QCoreApplication

    _app = QCoreApplication.instance() or QCoreApplication([sys.argv[0]])
    answer = send_command(home, command)
    if answer == "ok":
        if command == "show":
            say("vigia: the tray is already running; its dashboard was opened")
        else:
            say(f"vigia: sent '{command}' to the running tray")
        return 0
    if answer is None:
        say(
            "vigia: another tray holds this data folder but does not answer; "
            f"is it stuck? (folder {home})"
        )
    else:
        say(f"vigia: the running tray answered: {answer}")
    return 1


def log_uncaught(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """``sys.excepthook`` for the tray: an exception escaping a Qt slot goes to the JSON log
    (the windowed Windows build has no stderr) and the tray keeps running."""
    log.critical("unexpected error in the tray; it keeps running", exc_info=(kind, value, tb))


def run_tray(args: argparse.Namespace, say: Callable[[str], None] = log.warning) -> int:
    """Run the tray until it quits; the process exit code. ``say`` tells the person who
    launched it what happened when there is no tray to show (the command line prints)."""
    url = getattr(args, "url", None)
    command = getattr(args, "tray_command", None)
    remote_url = normalize_url(url) if url else None
    home = tray_home(args) if remote_url else None
    if home is None:
        from embedded_backend.cli.common import settings_from

        home = settings_from(args).home  # the folder the embedded backend will use

    instance = SingleInstance(home)
    if not instance.acquire():
        return _to_running_tray(home, command or "show", say)
    if command and command != "show":
        instance.close()
        say(f"vigia: no tray is running for {home}; nothing to {command}")
        return 1

    problem = display_problem()
    if problem is not None:
        instance.close()
        raise TrayUnavailable(problem)

    app = QApplication.instance() or QApplication(["vigia"])
    assert isinstance(app, QApplication)
    sys.excepthook = log_uncaught
    app.setApplicationName("Vigia")
    app.setApplicationDisplayName("Vigia")
    app.setOrganizationName("Vigia")
    app.setDesktopFileName("vigia")
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(app_icon())
    instance.setParent(app)
    instance.listen()

    translate = i18n.translate_core  # looks up the translators installed below
    try:
        ctx = _remote(args, remote_url, translate) if remote_url else _embedded(args, translate)
    except Exception:
        instance.close()
        raise
    language = getattr(args, "language", None) or config_file.load(home).language
    translation = i18n.install(language)  # after _embedded/_remote set up logging
    tray = TrayApp(ctx, remote_url=remote_url, instance=instance)

    def on_commit_data(manager: QSessionManager) -> None:
        # Logoff or shutdown: stop the backend now, while the session waits for us.
        log.info("the session is ending; stopping the backend")
        manager.setRestartHint(QSessionManager.RestartHint.RestartNever)
        tray.shutdown()

    app.aboutToQuit.connect(tray.shutdown)
    QGuiApplication.instance().commitDataRequest.connect(on_commit_data)  # type: ignore[union-attr]
    quitter = SignalQuitter(app)
    tray.start()
    if getattr(args, "dashboard", False):
        tray.open_dashboard()
    log.info("tray running (%s; data folder %s)", remote_url or "embedded backend", home)
    try:
        code = app.exec()
    finally:
        tray.shutdown()
        quitter.close()
        translation.remove()
    return code
